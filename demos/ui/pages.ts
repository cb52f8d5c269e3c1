// The demo pages: id, path under demos/ and title. Plain data, read by the pages' navigation (page.ts) and at
// build time by demos/page-html.ts, which writes each page's index.html from one template.
export const PAGES = [
  { id: 'index', path: 'index.html', title: 'widenet' },
  { id: 'regimes', path: 'regimes/index.html', title: 'Regimes side by side' },
  { id: 'ntk', path: 'ntk/index.html', title: 'NTK explorer' },
  { id: 'sweep', path: 'sweep/index.html', title: 'Width sweep' },
  { id: 'coord', path: 'coord/index.html', title: 'Coordinate check' },
  { id: 'mu-transfer', path: 'mu-transfer/index.html', title: 'µTransfer' },
  { id: 'max-lr', path: 'max-lr/index.html', title: 'Maximal stable learning rate' },
  { id: 'phase', path: 'phase/index.html', title: 'Lazy–rich phase diagram' },
  { id: 'generalization', path: 'generalization/index.html', title: 'Generalization' },
  { id: 'beyond', path: 'beyond/index.html', title: 'Beyond the kernel' },
] as const;

// Build-time (Node, imported by vite.config.ts): every demo page's index.html from one template, so the pages
// share their boilerplate instead of copying it. The dev server answers /demos/<page>/index.html (and
// /demos/<page>/) with the template through Vite's own HTML pipeline (transformIndexHtml: the dev client,
// ./main.ts resolved next to the page); the build resolves and loads the same paths (the multi-page inputs of
// vite.config.ts), so the built site has the same files at the same URLs. A page that keeps its own
// index.html on disk is left to Vite: the file wins.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';
import { PAGES } from './ui/pages';

/** The HTML of a page: its title (the index: "widenet"; a page: "widenet · <title>") and its module script. */
export function pageHtml(page: (typeof PAGES)[number]): string {
  const title = page.id === 'index' ? 'widenet' : `widenet · ${page.title}`;
  const script = page.id === 'index' ? './index.ts' : './main.ts';
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <link rel="icon" href="data:," />
    <title>${title}</title>
  </head>
  <body>
    <noscript>widenet's pages need JavaScript and WebGPU.</noscript>
    <script type="module" src="${script}"></script>
  </body>
</html>
`;
}

export function demoPageHtml(root: string): Plugin {
  const file = (page: (typeof PAGES)[number]) => join(root, 'demos', page.path);
  /** the page a file path or a URL path names, when its index.html is not on disk */
  const generated = (path: string) => {
    const page = PAGES.find((p) => path === file(p) || path === `/demos/${p.path}` || path === `/demos/${p.path.replace(/index\.html$/, '')}`);
    return page && !existsSync(file(page)) ? page : undefined;
  };
  return {
    name: 'widenet-page-html',
    enforce: 'pre',
    configureServer: (server) =>
      void server.middlewares.use((req, res, next) => {
        const url = req.url ?? '';
        const page = generated(url.split(/[?#]/)[0]);
        if (!page || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
        server
          .transformIndexHtml(`/demos/${page.path}`, pageHtml(page), req.originalUrl)
          .then((html) => {
            res.statusCode = 200;
            res.setHeader('Content-Type', 'text/html');
            res.setHeader('Cache-Control', 'no-cache');
            res.end(html);
          })
          .catch(next);
      }),
    resolveId: (id) => (generated(id) ? id : null),
    load: (id) => {
      const page = generated(id);
      return page ? pageHtml(page) : null;
    },
  };
}

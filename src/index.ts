// widenet's public API.
export { acquireDevice, type AdapterSummary, type GpuContext, type AcquireOptions } from './gpu/device';
export { Runtime, type KernelProgram } from './gpu/runtime';
export { Tensor } from './gpu/tensor';
export * from './gpu/errors';
export { ParamLayout } from './gpu/params';
export { ACTIVATION_NAMES, activation, activationRef, erf64 } from './kernels/activations';
export { matmul, matmulProblem, matmulRef, matmulCost, chooseMatmulVersion, MATMUL_VERSIONS, type MatmulVersion, type MatmulOptions } from './kernels/matmul';
export { gram, gramRef, gramCost } from './kernels/gram';
export { activate, activateWithDerivative, add, hadamard, axpy, scale, elementwiseRef } from './kernels/elementwise';
export { sum, sumSquares, dot, rowSums, colSums, reduceRef } from './kernels/reduce';
export { randn, rand } from './kernels/init';
export { philox4x32, randomRef } from './kernels/rng';
export { broadcastProduct, contiguousStrides } from './kernels/elementwise';
export { Mlp, type MlpConfig, type ForwardCache } from './nets/mlp';
export { PARAMETERIZATIONS, layerScales, type Parameterization, type LayerScales } from './nets/parameterization';
export { empiricalKernels, toExampleMajor, traceForm, type EmpiricalKernels } from './ntk/empirical';
export { streamedKernels, streamingPeakBytes } from './ntk/streaming';
export { jacobianContractionNtk } from './ntk/jacobian';

// The one place where CUDA and HIP differ. Every other GPU file is written
// once against the names below and compiled by nvcc (CUDA) or clang (HIP).
//
// Host side: the runtime calls the backend makes (rt::), returning the
// vendor's error code, which check.cuh turns into a kDevice Error.
// Device side: the warp (wavefront) size, shuffles and ballots, the int8 dot product,
// the 4-bit table lookup, half/bfloat16 bit conversions, and the NVIDIA-only
// tensor-core and async copy instructions that the mma GEMM path uses
// (kHasMma says whether the build has them; the HIP build takes the portable
// GEMM path instead).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>

#if defined(__HIP_PLATFORM_AMD__)
#include <hip/hip_fp16.h>
#include <hip/hip_runtime.h>
#else
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#endif

namespace rocmforge::backend::gpu {

// ---------------------------------------------------------------- host runtime
namespace rt {

#if defined(__HIP_PLATFORM_AMD__)
inline constexpr const char* kPlatform = "hip";
using Error = hipError_t;
using Stream = hipStream_t;
using Graph = hipGraph_t;
using GraphExec = hipGraphExec_t;
inline constexpr Error kSuccess = hipSuccess;
inline const char* error_name(Error e) { return hipGetErrorName(e); }
inline const char* error_string(Error e) { return hipGetErrorString(e); }
inline Error get_last_error() { return hipGetLastError(); }
inline Error device_count(int* n) { return hipGetDeviceCount(n); }
inline Error set_device(int d) { return hipSetDevice(d); }
inline Error device_name(int d, char* out, size_t n) {
  hipDeviceProp_t p;
  const Error e = hipGetDeviceProperties(&p, d);
  if (e == hipSuccess) snprintf(out, n, "%s (%s)", p.name, p.gcnArchName);
  return e;
}
inline Error sm_count(int d, int* v) { return hipDeviceGetAttribute(v, hipDeviceAttributeMultiprocessorCount, d); }
inline Error warp_size(int d, int* v) { return hipDeviceGetAttribute(v, hipDeviceAttributeWarpSize, d); }
// The most shared memory one block may ask for (allow_dynamic_smem).
inline Error max_block_smem(int d, int* v) {
  return hipDeviceGetAttribute(v, hipDeviceAttributeMaxSharedMemoryPerBlock, d);
}
inline Error mem_get_info(size_t* free_bytes, size_t* total_bytes) { return hipMemGetInfo(free_bytes, total_bytes); }
inline Error malloc_device(void** p, size_t n) { return hipMalloc(p, n); }
inline Error free_device(void* p) { return hipFree(p); }
inline Error malloc_pinned(void** p, size_t n) { return hipHostMalloc(p, n, hipHostMallocDefault); }
inline Error free_pinned(void* p) { return hipHostFree(p); }
inline Error copy_to_device(void* dst, const void* src, size_t n, Stream s) {
  return hipMemcpyAsync(dst, src, n, hipMemcpyHostToDevice, s);
}
inline Error copy_to_host(void* dst, const void* src, size_t n, Stream s) {
  return hipMemcpyAsync(dst, src, n, hipMemcpyDeviceToHost, s);
}
inline Error copy_on_device(void* dst, const void* src, size_t n, Stream s) {
  return hipMemcpyAsync(dst, src, n, hipMemcpyDeviceToDevice, s);
}
inline Error memset_device(void* dst, int value, size_t n, Stream s) { return hipMemsetAsync(dst, value, n, s); }
inline Error stream_create(Stream* s) { return hipStreamCreateWithFlags(s, hipStreamNonBlocking); }
inline Error stream_destroy(Stream s) { return hipStreamDestroy(s); }
inline Error stream_sync(Stream s) { return hipStreamSynchronize(s); }
inline Error begin_capture(Stream s) { return hipStreamBeginCapture(s, hipStreamCaptureModeRelaxed); }
inline Error end_capture(Stream s, Graph* g) { return hipStreamEndCapture(s, g); }
inline Error graph_instantiate(GraphExec* exec, Graph g) { return hipGraphInstantiate(exec, g, nullptr, nullptr, 0); }
inline Error graph_launch(GraphExec exec, Stream s) { return hipGraphLaunch(exec, s); }
inline Error graph_destroy(Graph g) { return hipGraphDestroy(g); }
inline Error graph_exec_destroy(GraphExec e) { return hipGraphExecDestroy(e); }
using Event = hipEvent_t;
inline Error event_create(Event* e) { return hipEventCreateWithFlags(e, hipEventDisableTiming); }
inline Error event_destroy(Event e) { return hipEventDestroy(e); }
inline Error event_record(Event e, Stream s) { return hipEventRecord(e, s); }
inline Error event_sync(Event e) { return hipEventSynchronize(e); }
template <class Kernel>
Error allow_dynamic_smem(Kernel kernel, int bytes) {
  return hipFuncSetAttribute(reinterpret_cast<const void*>(kernel), hipFuncAttributeMaxDynamicSharedMemorySize, bytes);
}
// A plain launch: AMD GPUs have no programmatic dependent launch.
template <class... Params, class... Args>
Error launch_overlapped_smem(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem, Stream s, Args... args) {
  kernel<<<grid, block, smem, s>>>(static_cast<Params>(args)...);
  return hipGetLastError();
}
template <class... Params, class... Args>
Error launch_overlapped(void (*kernel)(Params...), dim3 grid, dim3 block, Stream s, Args... args) {
  return launch_overlapped_smem(kernel, grid, block, 0, s, args...);
}
// AMD GPUs have no thread block clusters.
inline Error clusters_supported(int, bool* yes) {
  *yes = false;
  return hipSuccess;
}
template <class... Params, class... Args>
Error launch_clustered_smem(void (*)(Params...), dim3, dim3, size_t, unsigned, Stream, Args...) {
  return hipErrorNotSupported;
}
template <class... Params>
Error max_active_clusters(void (*)(Params...), dim3, size_t, unsigned, int* n) {
  *n = 0;
  return hipSuccess;
}
#else
inline constexpr const char* kPlatform = "cuda";
using Error = cudaError_t;
using Stream = cudaStream_t;
using Graph = cudaGraph_t;
using GraphExec = cudaGraphExec_t;
inline constexpr Error kSuccess = cudaSuccess;
inline const char* error_name(Error e) { return cudaGetErrorName(e); }
inline const char* error_string(Error e) { return cudaGetErrorString(e); }
inline Error get_last_error() { return cudaGetLastError(); }
inline Error device_count(int* n) { return cudaGetDeviceCount(n); }
inline Error set_device(int d) { return cudaSetDevice(d); }
inline Error device_name(int d, char* out, size_t n) {
  cudaDeviceProp p;
  const Error e = cudaGetDeviceProperties(&p, d);
  if (e == cudaSuccess) snprintf(out, n, "%s (sm_%d%d)", p.name, p.major, p.minor);
  return e;
}
inline Error sm_count(int d, int* v) { return cudaDeviceGetAttribute(v, cudaDevAttrMultiProcessorCount, d); }
inline Error warp_size(int d, int* v) { return cudaDeviceGetAttribute(v, cudaDevAttrWarpSize, d); }
// The most shared memory one block may ask for (allow_dynamic_smem): 227 KB
// on sm_90, 163 KB on sm_80, 99 KB on sm_86.
inline Error max_block_smem(int d, int* v) {
  return cudaDeviceGetAttribute(v, cudaDevAttrMaxSharedMemoryPerBlockOptin, d);
}
inline Error mem_get_info(size_t* free_bytes, size_t* total_bytes) { return cudaMemGetInfo(free_bytes, total_bytes); }
inline Error malloc_device(void** p, size_t n) { return cudaMalloc(p, n); }
inline Error free_device(void* p) { return cudaFree(p); }
inline Error malloc_pinned(void** p, size_t n) { return cudaMallocHost(p, n); }
inline Error free_pinned(void* p) { return cudaFreeHost(p); }
inline Error copy_to_device(void* dst, const void* src, size_t n, Stream s) {
  return cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, s);
}
inline Error copy_to_host(void* dst, const void* src, size_t n, Stream s) {
  return cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, s);
}
inline Error copy_on_device(void* dst, const void* src, size_t n, Stream s) {
  return cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToDevice, s);
}
inline Error memset_device(void* dst, int value, size_t n, Stream s) { return cudaMemsetAsync(dst, value, n, s); }
inline Error stream_create(Stream* s) { return cudaStreamCreateWithFlags(s, cudaStreamNonBlocking); }
inline Error stream_destroy(Stream s) { return cudaStreamDestroy(s); }
inline Error stream_sync(Stream s) { return cudaStreamSynchronize(s); }
inline Error begin_capture(Stream s) { return cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed); }
inline Error end_capture(Stream s, Graph* g) { return cudaStreamEndCapture(s, g); }
inline Error graph_instantiate(GraphExec* exec, Graph g) { return cudaGraphInstantiate(exec, g, 0); }
inline Error graph_launch(GraphExec exec, Stream s) { return cudaGraphLaunch(exec, s); }
inline Error graph_destroy(Graph g) { return cudaGraphDestroy(g); }
inline Error graph_exec_destroy(GraphExec e) { return cudaGraphExecDestroy(e); }
using Event = cudaEvent_t;
inline Error event_create(Event* e) { return cudaEventCreateWithFlags(e, cudaEventDisableTiming); }
inline Error event_destroy(Event e) { return cudaEventDestroy(e); }
inline Error event_record(Event e, Stream s) { return cudaEventRecord(e, s); }
inline Error event_sync(Event e) { return cudaEventSynchronize(e); }
template <class Kernel>
Error allow_dynamic_smem(Kernel kernel, int bytes) {
  return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
}
// kernel<<<grid, block, smem, s>>>(args...), allowed on sm_90 and later to
// start while the kernel before it on s drains (programmatic dependent
// launch): a decode step is a chain of short kernels, and each launch's
// ramp-up then hides behind the previous kernel's last wave. The kernel must
// begin with wait_for_previous_kernel() (or allow_next_then_wait()).
template <class... Params, class... Args>
Error launch_overlapped_smem(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem, Stream s, Args... args) {
  int device = 0;
  int major = 0;
  if (const Error e = cudaGetDevice(&device); e != cudaSuccess) return e;
  if (const Error e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device); e != cudaSuccess) {
    return e;
  }
  cudaLaunchAttribute overlap = {};
  overlap.id = cudaLaunchAttributeProgrammaticStreamSerialization;
  overlap.val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t config = {};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = smem;
  config.stream = s;
  config.attrs = &overlap;
  config.numAttrs = major >= 9 ? 1 : 0;
  return cudaLaunchKernelEx(&config, kernel, static_cast<Params>(args)...);
}
template <class... Params, class... Args>
Error launch_overlapped(void (*kernel)(Params...), dim3 grid, dim3 block, Stream s, Args... args) {
  return launch_overlapped_smem(kernel, grid, block, 0, s, args...);
}
// Whether device d launches thread block clusters (sm_90 and later).
inline Error clusters_supported(int d, bool* yes) {
  int v = 0;
  const Error e = cudaDeviceGetAttribute(&v, cudaDevAttrClusterLaunch, d);
  *yes = e == cudaSuccess && v != 0;
  return e;
}
// launch_overlapped_smem with the blocks in clusters of cluster_x along x
// (a divisor of grid.x), whose blocks share their shared memory
// (cluster_sync, cluster_shared below). Only where clusters_supported says so.
template <class... Params, class... Args>
Error launch_clustered_smem(void (*kernel)(Params...), dim3 grid, dim3 block, size_t smem, unsigned cluster_x, Stream s,
                            Args... args) {
  cudaLaunchAttribute attrs[2] = {};
  attrs[0].id = cudaLaunchAttributeClusterDimension;
  attrs[0].val.clusterDim.x = cluster_x;
  attrs[0].val.clusterDim.y = 1;
  attrs[0].val.clusterDim.z = 1;
  attrs[1].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attrs[1].val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t config = {};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = smem;
  config.stream = s;
  config.attrs = attrs;
  config.numAttrs = 2;
  return cudaLaunchKernelEx(&config, kernel, static_cast<Params>(args)...);
}
// How many clusters of cluster_x blocks of `kernel` the device holds at once:
// 0 where a cluster does not fit (a block's shared memory times the cluster
// size beyond what the multiprocessors of one GPC give, as on a small MIG slice).
template <class... Params>
Error max_active_clusters(void (*kernel)(Params...), dim3 block, size_t smem, unsigned cluster_x, int* n) {
  cudaLaunchAttribute attr = {};
  attr.id = cudaLaunchAttributeClusterDimension;
  attr.val.clusterDim.x = cluster_x;
  attr.val.clusterDim.y = 1;
  attr.val.clusterDim.z = 1;
  cudaLaunchConfig_t config = {};
  config.gridDim = dim3(cluster_x);
  config.blockDim = block;
  config.dynamicSmemBytes = smem;
  config.attrs = &attr;
  config.numAttrs = 1;
  return cudaOccupancyMaxActiveClusters(n, kernel, &config);
}
#endif

}  // namespace rt

// Whether p may be read or written as float4 (or uint4): the kernels' four-element
// forms ask it of every row they touch.
inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// -------------------------------------------------------------------- device

// The device half of rt::launch_overlapped. wait_for_previous_kernel: until
// the previous kernel on the stream has finished and its writes are visible
// (before any memory access). allow_next_kernel: this block no longer holds
// the next kernel back (once every block has said so, its blocks may be
// scheduled, to wait in wait_for_previous_kernel). No-ops before sm_90 and
// on AMD.
__device__ __forceinline__ void wait_for_previous_kernel() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}
__device__ __forceinline__ void allow_next_kernel() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" :::);
#endif
}
// The start of the small kernels between a decode step's products (norms,
// activation copies, GLU, decode attention): the next kernel, a product of
// thousands of blocks, is let in before this one waits, so its blocks are
// resident and past their launch when this one ends, instead of being
// scheduled only once this one runs. The next kernel still waits for this
// one to finish, which finishes after its own predecessor: the order of
// writes and reads is unchanged. In decode these kernels hold a few blocks,
// so the early blocks take idle slots. Llama-3-8B Q4_0 tg128 on the H200
// +2.5–3% (bench/RESULTS-gpu-runs-57-68.md, run 67).
__device__ __forceinline__ void allow_next_then_wait() {
  allow_next_kernel();
  wait_for_previous_kernel();
}

// Ends the kernel with an error: for code that a launch never reaches.
__device__ __forceinline__ void unreachable_on_device() {
#if defined(__HIP_PLATFORM_AMD__)
  __builtin_trap();
#else
  __trap();
#endif
}

// A weight's bytes, read once a decode step: allocated evict-first in L2
// (ld.global.cs), so that the gigabytes of weights streaming through do not
// push out what the next step reads again, its KV cache above all.
// Llama-3-8B tg128 on the H200: Q4_0 +1.8%, Q8_0 +2.0%, Q4_K +1.6%, F16
// +1.3% (bench/RESULTS-gpu-runs-125-134.md, runs 131-132). HIP: a plain
// load (not measured there).
template <class T>
__device__ __forceinline__ T load_streaming(const T* p) {
#if defined(__HIP_PLATFORM_AMD__)
  return *p;
#else
  return __ldcs(p);
#endif
}

// The device half of rt::launch_clustered_smem (sm_90; a kernel that calls
// them runs only in clusters). cluster_sync: a barrier of every thread of
// the cluster, which also makes their shared-memory writes visible to each
// other. cluster_rank: this block's index in its cluster. cluster_shared:
// the address p (in this block's shared memory) has in block `rank`'s.
__device__ __forceinline__ void cluster_sync() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  __cluster_barrier_arrive();
  __cluster_barrier_wait();
#else
  unreachable_on_device();
#endif
}
// cluster_sync_relaxed: the barrier alone, no memory ordering (cluster_sync
// makes every block fence its memory at GPU scope first). Enough to keep a
// block from exiting while the others still read its shared memory: their
// reads have returned before they arrive.
__device__ __forceinline__ void cluster_sync_relaxed() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("barrier.cluster.arrive.relaxed;\n" ::: "memory");
  asm volatile("barrier.cluster.wait;\n" ::: "memory");
#else
  unreachable_on_device();
#endif
}
__device__ __forceinline__ unsigned cluster_rank() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  return __clusterRelativeBlockRank();
#else
  unreachable_on_device();
  return 0;
#endif
}
template <class T>
__device__ __forceinline__ const T* cluster_shared(const T* p, unsigned rank) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  return static_cast<const T*>(__cluster_map_shared_rank(p, rank));
#else
  static_cast<void>(rank);
  unreachable_on_device();
  return p;
#endif
}

#if defined(__HIP_PLATFORM_AMD__)
// Only device code may use it: one HIP binary holds wave64 (gfx90a) and wave32
// (gfx1030) code, so the host asks the device (rt::warp_size) instead.
#if defined(__AMDGCN_WAVEFRONT_SIZE)
inline constexpr int kWarpSize = __AMDGCN_WAVEFRONT_SIZE;
#else
inline constexpr int kWarpSize = 64;  // the host pass: launch code never reads it
#endif
inline constexpr bool kHasMma = false;

__device__ __forceinline__ float shfl_xor(float v, int lane_mask) { return __shfl_xor(v, lane_mask, kWarpSize); }
__device__ __forceinline__ int shfl_xor(int v, int lane_mask) { return __shfl_xor(v, lane_mask, kWarpSize); }
__device__ __forceinline__ float shfl(float v, int src_lane) { return __shfl(v, src_lane, kWarpSize); }
__device__ __forceinline__ double shfl_xor(double v, int lane_mask) { return __shfl_xor(v, lane_mask, kWarpSize); }
// Bit l set when lane l's predicate holds (a wave64 needs all 64 bits).
__device__ __forceinline__ uint64_t ballot(bool predicate) { return __ballot(predicate); }

// sum of the four int8 products of a and b, plus c.
__device__ __forceinline__ int dp4a(int a, int b, int c) {
#if defined(__gfx90a__) || defined(__gfx1030__)
  return __builtin_amdgcn_sdot4(a, b, c, false);
#else
  const int8_t* x = reinterpret_cast<const int8_t*>(&a);
  const int8_t* y = reinterpret_cast<const int8_t*>(&b);
  return c + x[0] * y[0] + x[1] * y[1] + x[2] * y[2] + x[3] * y[3];
#endif
}

// The 4-bit table lookup of IQ4_NL/IQ4_XS: byte k of .x is table[low nibble
// of byte k of q4], of .y table[its high nibble]; `table` holds 16 bytes.
// v_perm_b32 picks bytes of {src0, src1} by byte index: one lookup in each
// half of the table, then one by bit 3 of the index (llama.cpp's HIP lookup).
__device__ __forceinline__ uint32_t lookup_bytes16(uint32_t idx, const uint32_t (&table)[4]) {
  const uint32_t lo = __builtin_amdgcn_perm(table[1], table[0], idx & 0x07070707u);
  const uint32_t hi = __builtin_amdgcn_perm(table[3], table[2], idx & 0x07070707u);
  return __builtin_amdgcn_perm(hi, lo, 0x03020100u | ((idx & 0x08080808u) >> 1));
}
__device__ __forceinline__ int2 lookup_nibbles16(uint32_t q4, const uint32_t (&table)[4]) {
  return make_int2(static_cast<int>(lookup_bytes16(q4 & 0x0F0F0F0Fu, table)),
                   static_cast<int>(lookup_bytes16((q4 >> 4) & 0x0F0F0F0Fu, table)));
}
#else
inline constexpr int kWarpSize = 32;
inline constexpr bool kHasMma = true;  // sm_80 and sm_90, the targets of the CUDA build

__device__ __forceinline__ float shfl_xor(float v, int lane_mask) {
  return __shfl_xor_sync(0xffffffffu, v, lane_mask, kWarpSize);
}
__device__ __forceinline__ int shfl_xor(int v, int lane_mask) {
  return __shfl_xor_sync(0xffffffffu, v, lane_mask, kWarpSize);
}
__device__ __forceinline__ float shfl(float v, int src_lane) {
  return __shfl_sync(0xffffffffu, v, src_lane, kWarpSize);
}
__device__ __forceinline__ double shfl_xor(double v, int lane_mask) {
  return __shfl_xor_sync(0xffffffffu, v, lane_mask, kWarpSize);
}
__device__ __forceinline__ uint64_t ballot(bool predicate) { return __ballot_sync(0xffffffffu, predicate); }

__device__ __forceinline__ int dp4a(int a, int b, int c) { return __dp4a(a, b, c); }

// The 4-bit table lookup of IQ4_NL/IQ4_XS (see the HIP version). __byte_perm
// selects by nibble: two lookups per half of the 8 indices, one by bit 3,
// then the even and the odd nibbles' bytes gathered (llama.cpp's CUDA lookup).
__device__ __forceinline__ int2 lookup_nibbles16(uint32_t q4, const uint32_t (&table)[4]) {
  const uint32_t select_high = 0x32103210u | ((q4 & 0x88888888u) >> 1);
  uint32_t half[2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const uint32_t shift = 16 * i;
    const uint32_t lo = __byte_perm(table[0], table[1], q4 >> shift);
    const uint32_t hi = __byte_perm(table[2], table[3], q4 >> shift);
    half[i] = __byte_perm(lo, hi, select_high >> shift);
  }
  return make_int2(static_cast<int>(__byte_perm(half[0], half[1], 0x6420)),
                   static_cast<int>(__byte_perm(half[0], half[1], 0x7531)));
}
#endif

__device__ __forceinline__ float f16_to_f32(uint16_t bits) { return __half2float(__ushort_as_half(bits)); }
__device__ __forceinline__ uint16_t f32_to_f16(float v) { return __half_as_ushort(__float2half_rn(v)); }
__device__ __forceinline__ float bf16_to_f32(uint16_t bits) { return __uint_as_float(static_cast<uint32_t>(bits) << 16); }
// Round to nearest even, NaNs made quiet: the CPU backend's fp32_to_bf16.
__device__ __forceinline__ uint16_t f32_to_bf16(float v) {
  const uint32_t x = __float_as_uint(v);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 64u);
  return static_cast<uint16_t>((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

// Two values packed as f16x2 (lo in the low half), the layout the tensor cores read.
__device__ __forceinline__ uint32_t pack_f16x2(float lo, float hi) {
  return static_cast<uint32_t>(f32_to_f16(lo)) | (static_cast<uint32_t>(f32_to_f16(hi)) << 16);
}
// The same as bf16x2, each rounded to nearest even as f32_to_bf16 rounds it
// (NaNs aside): one instruction on sm_80 and later.
__device__ __forceinline__ uint32_t pack_bf16x2(float lo, float hi) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  uint32_t d;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(d) : "f"(hi), "f"(lo));
  return d;
#else
  return static_cast<uint32_t>(f32_to_bf16(lo)) | (static_cast<uint32_t>(f32_to_bf16(hi)) << 16);
#endif
}

template <class T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int mask = kWarpSize / 2; mask > 0; mask >>= 1) v += shfl_xor(v, mask);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int mask = kWarpSize / 2; mask > 0; mask >>= 1) v = fmaxf(v, shfl_xor(v, mask));
  return v;
}

// ------------------------------------------- NVIDIA tensor cores (kHasMma only)
// Declared for both builds so that code behind `if constexpr (kHasMma)` names
// them; the HIP build never instantiates a caller.

// D[16x8] += A[16x16] * B[16x8], f16 inputs, f32 accumulators, in the
// registers of one 32-lane warp (PTX mma.m16n8k16 fragment layouts).
__device__ __forceinline__ void mma_f16_16x8x16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]);
// The same with bfloat16 inputs.
__device__ __forceinline__ void mma_bf16_16x8x16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]);
// D[16x8] += A[16x32] * B[32x8] on signed int8 inputs, int32 accumulators.
__device__ __forceinline__ void mma_s8_16x8x32(int (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]);
// D[16x8] += A[16x16] * B[16x8] on signed int8 inputs: the k = 0..15 half of
// the above (A fragments a[0], a[1], B fragment b[0]; a[2], a[3], b[1] are k = 16..31).
__device__ __forceinline__ void mma_s8_16x8x16(int (&d)[4], const uint32_t (&a)[2], uint32_t b);
// Loads four 8x8 b16 matrices from shared memory (ldmatrix.x4): lane l gives
// the row address for matrix l / 8, row l % 8.
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* smem_row);
// The same, each matrix transposed (ldmatrix.x4.trans).
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* smem_row);
// Two matrices (ldmatrix.x2): lanes 0..15 give the row addresses.
__device__ __forceinline__ void ldmatrix_x2(uint32_t (&r)[2], const void* smem_row);
// 16-byte global -> shared copy that does not pass through registers.
__device__ __forceinline__ void cp_async_16(void* smem, const void* global);
__device__ __forceinline__ void cp_async_commit();
template <int kPending>
__device__ __forceinline__ void cp_async_wait();
// Orders the shared-memory accesses of a warp's lanes around it (__syncwarp).
__device__ __forceinline__ void sync_warp();
// A store and a load through L2 only (not L1), for data other blocks of the
// same grid wrote or will read (a split GEMM's partial sums).
__device__ __forceinline__ void store_cg(float4* p, float4 v);
__device__ __forceinline__ float4 load_cg(const float4* p);
// 2^x by one hardware approximation, results below 2^-126 flushed to zero:
// the tensor-core softmax's weights, which go to 16 bits anyway. exp2f keeps
// denormal results, at about five instructions more a weight.
__device__ __forceinline__ float exp2_ftz(float x);

#if !defined(__HIP_PLATFORM_AMD__)
__device__ __forceinline__ void mma_f16_16x8x16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ __forceinline__ void mma_bf16_16x8x16(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ __forceinline__ void mma_s8_16x8x32(int (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ __forceinline__ void mma_s8_16x8x16(int (&d)[4], const uint32_t (&a)[2], uint32_t b) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5}, {%6}, {%0,%1,%2,%3};\n"
      : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(b));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* smem_row) {
  const uint32_t addr = static_cast<uint32_t>(__cvta_generic_to_shared(smem_row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

__device__ __forceinline__ void ldmatrix_x2(uint32_t (&r)[2], const void* smem_row) {
  const uint32_t addr = static_cast<uint32_t>(__cvta_generic_to_shared(smem_row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];\n" : "=r"(r[0]), "=r"(r[1]) : "r"(addr));
}

__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* smem_row) {
  const uint32_t addr = static_cast<uint32_t>(__cvta_generic_to_shared(smem_row));
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

__device__ __forceinline__ void cp_async_16(void* smem, const void* global) {
  const uint32_t addr = static_cast<uint32_t>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(addr), "l"(global));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int kPending>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}
__device__ __forceinline__ void sync_warp() { __syncwarp(); }
__device__ __forceinline__ void store_cg(float4* p, float4 v) { __stcg(p, v); }
__device__ __forceinline__ float4 load_cg(const float4* p) { return __ldcg(p); }
__device__ __forceinline__ float exp2_ftz(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}
#endif

}  // namespace rocmforge::backend::gpu

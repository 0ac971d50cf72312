// budgetrain's own libtorch entry points. scripts/deps.sh copies this file into the generated
// gotch copy (third_party/gotch/libtch), so it is compiled with libtorch's flags; errors land in
// gotch's per-thread error slot, which internal/torchx reads.
//
//   bt_save_multi_buf   serialize named tensors into memory (the format of gotch's VarStore.Save,
//                       torch::serialize::OutputArchive), so that Go writes the file and handles
//                       write errors: libtorch's file writer throws from a destructor when the
//                       disk is full, which aborts the process.
//   bt_sgd_*            SGD with momentum whose buffers Go can read and restore (gotch exposes no
//                       optimizer state). The update is libtorch's torch::optim::SGD::step, op for
//                       op, so results are bit-identical to it.
//   bt_torch_version    the libtorch version of the headers this file was compiled with.
//   bt_*_tf32           whether CUDA matmuls (cuBLAS) and convolutions (cuDNN) may use TF32,
//                       torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32
//                       (process-wide flags in at::globalContext(); they change nothing on the CPU).
#include <torch/torch.h>
#include <ATen/autocast_mode.h>
#include <c10/core/Event.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <thread>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

// gotch's per-thread error slot (defined in torch_api.cpp through torch_api.h, which cannot be
// included twice in one program) and its PROTECT, restated.
extern thread_local char *torch_last_err;
#define PROTECT(x)                           \
  try {                                      \
    x                                        \
  } catch (const std::exception &e) {        \
    torch_last_err = strdup(e.what());       \
  }

typedef torch::Tensor *tensor;

// libtorch 2.4 replaced autocast's per-device functions (set_enabled, set_cpu_enabled,
// set_autocast_gpu_dtype, ...) by ones taking the device type.
#if defined(TORCH_VERSION_MAJOR) && (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))
#define BT_AUTOCAST_BY_DEVICE 1
#endif

static void autocast_bf16(bool enable, bool cuda) {
#ifdef BT_AUTOCAST_BY_DEVICE
  auto dt = cuda ? at::kCUDA : at::kCPU;
  at::autocast::set_autocast_dtype(dt, at::kBFloat16);
  at::autocast::set_autocast_enabled(dt, enable);
#else
  if (cuda) {
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(enable);
  } else {
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(enable);
  }
#endif
  if (enable) {
    at::autocast::increment_nesting();
  } else if (at::autocast::decrement_nesting() == 0) {
    at::autocast::clear_cache();
  }
}

static bool autocast_enabled(bool cuda) {
#ifdef BT_AUTOCAST_BY_DEVICE
  return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

extern "C" {
// TORCH_VERSION comes with torch/torch.h (torch/version.h; torch >= 2.9 defines it in
// torch/headeronly/version.h, which that header includes).
const char *bt_torch_version() {
#ifdef TORCH_VERSION
  return TORCH_VERSION;
#else
  return "";
#endif
}

void bt_set_allow_tf32(int cublas, int cudnn) {
  PROTECT(
      at::globalContext().setAllowTF32CuBLAS(cublas != 0);
      at::globalContext().setAllowTF32CuDNN(cudnn != 0);)
}

// cuDNN's autotuner (torch.backends.cudnn.benchmark) and its deterministic algorithms
// (torch.backends.cudnn.deterministic).
void bt_set_cudnn(int benchmark, int deterministic) {
  PROTECT(
      at::globalContext().setBenchmarkCuDNN(benchmark != 0);
      at::globalContext().setDeterministicCuDNN(deterministic != 0);)
}

void bt_cudnn(int *out) {
  PROTECT(
      out[0] = at::globalContext().benchmarkCuDNN() ? 1 : 0;
      out[1] = at::globalContext().deterministicCuDNN() ? 1 : 0;)
}

// Writes the two flags (1 allowed, 0 not) into out[0] (cuBLAS) and out[1] (cuDNN).
void bt_allow_tf32(int *out) {
  PROTECT(
      out[0] = at::globalContext().allowTF32CuBLAS() ? 1 : 0;
      out[1] = at::globalContext().allowTF32CuDNN() ? 1 : 0;)
}

int bt_save_multi_buf(tensor *tensors, char **names, int n, char **out, size_t *outlen) {
  *out = nullptr;
  *outlen = 0;
  PROTECT(
      torch::serialize::OutputArchive archive;
      for (int i = 0; i < n; ++i) archive.write(std::string(names[i]), *(tensors[i]), /*buffer=*/false);
      std::string buf;
      archive.save_to([&buf](const void *data, size_t size) -> size_t {
        buf.append(static_cast<const char *>(data), size);
        return size;
      });
      char *p = static_cast<char *>(malloc(buf.size() > 0 ? buf.size() : 1));
      if (p == nullptr) throw std::runtime_error("out of memory serializing tensors");
      memcpy(p, buf.data(), buf.size());
      *out = p;
      *outlen = buf.size();
      return 0;)
  return -1;
}

struct bt_sgd {
  std::vector<torch::Tensor> params;
  std::vector<torch::Tensor> bufs;  // undefined until the first step that sees a gradient
  double momentum, dampening, weight_decay;
  bool nesterov;
};

void *bt_sgd_new(tensor *params, int n, double momentum, double dampening, double weight_decay, int nesterov) {
  PROTECT(
      if (nesterov && (momentum <= 0 || dampening != 0)) throw std::invalid_argument("nesterov momentum requires a momentum and zero dampening");
      auto *o = new bt_sgd();
      for (int i = 0; i < n; ++i) o->params.push_back(*(params[i]));
      o->bufs.resize(n);
      o->momentum = momentum;
      o->dampening = dampening;
      o->weight_decay = weight_decay;
      o->nesterov = nesterov != 0;
      return o;)
  return nullptr;
}

void bt_sgd_free(void *opt) { delete static_cast<bt_sgd *>(opt); }

// torch::optim::SGD::step (torch/csrc/api/src/optim/sgd.cpp, libtorch 2.1) on all parameters at
// once with the _foreach ops, as torch.optim.SGD(foreach=True) does: about 4 kernel launches per
// step on CUDA instead of 4 per parameter. Each foreach op computes, tensor by tensor and element
// by element, what the per-parameter op did (on the CPU it is that op in a loop), so the result is
// bit-identical to the per-parameter update; the step that creates a momentum buffer (the first
// one to see a parameter's gradient) clones it as before.
static void sgd_step(bt_sgd *o, double lr) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> ps, gs, bufs;
  std::vector<size_t> idx;
  for (size_t i = 0; i < o->params.size(); ++i) {
    auto &p = o->params[i];
    if (!p.grad().defined()) continue;
    ps.push_back(p.data());
    gs.push_back(p.grad().data());
    idx.push_back(i);
  }
  if (ps.empty()) return;
  std::vector<torch::Tensor> d = gs;
  if (o->weight_decay != 0) d = at::_foreach_add(gs, ps, o->weight_decay);
  if (o->momentum != 0) {
    std::vector<torch::Tensor> old, oldd;  // parameters whose buffer exists, and their d
    for (size_t k = 0; k < idx.size(); ++k) {
      auto &b = o->bufs[idx[k]];
      if (!b.defined()) {
        b = torch::clone(d[k]).detach();
      } else {
        old.push_back(b);
        oldd.push_back(d[k]);
      }
    }
    if (!old.empty()) {
      at::_foreach_mul_(old, o->momentum);
      at::_foreach_add_(old, oldd, 1 - o->dampening);
    }
    for (size_t k = 0; k < idx.size(); ++k) bufs.push_back(o->bufs[idx[k]]);
    if (o->nesterov) d = at::_foreach_add(d, bufs, o->momentum);
    else d = bufs;
  }
  at::_foreach_add_(ps, d, -1 * lr);
}

void bt_sgd_step(void *opt, double lr) { PROTECT(sgd_step(static_cast<bt_sgd *>(opt), lr);) }

// Sets every gradient to undefined, as Optimizer::zero_grad(set_to_none=true) does.
void bt_sgd_zero_grad(void *opt) {
  PROTECT(
      auto *o = static_cast<bt_sgd *>(opt);
      for (auto &p : o->params) {
        if (p.mutable_grad().defined()) {
          p.mutable_grad().reset();
        }
      })
}

// Writes a new handle to each momentum buffer into out (nullptr where none exists yet).
void bt_sgd_buffers(void *opt, tensor *out) {
  PROTECT(
      auto *o = static_cast<bt_sgd *>(opt);
      for (size_t i = 0; i < o->bufs.size(); ++i) out[i] = o->bufs[i].defined() ? new torch::Tensor(o->bufs[i]) : nullptr;)
}

// Replaces buffer i by a copy of bufs[i] (nullptr clears it); shapes must match the parameter.
void bt_sgd_set_buffer(void *opt, int i, tensor buf) {
  PROTECT(
      auto *o = static_cast<bt_sgd *>(opt);
      if (i < 0 || i >= (int)o->bufs.size()) throw std::out_of_range("momentum buffer index out of range");
      if (buf == nullptr) { o->bufs[i] = torch::Tensor(); return; }
      if (buf->sizes() != o->params[i].sizes()) throw std::invalid_argument("momentum buffer shape does not match its parameter");
      o->bufs[i] = buf->detach().to(o->params[i].options(), /*non_blocking=*/false, /*copy=*/true);)
}

// Makes every 4-d tensor of ts channels-last in place (the variable keeps its identity, as
// module.to(memory_format=torch.channels_last) does in PyTorch): convolution weights in that
// layout make oneDNN (CPU) and cuDNN produce channels-last activations from any input, so a
// network runs channels-last from its first layer without reordering activations or weights.
void bt_channels_last_(tensor *ts, int n) {
  PROTECT(
      torch::NoGradGuard no_grad;
      for (int i = 0; i < n; ++i) {
        auto &t = *(ts[i]);
        if (t.dim() == 4) t.set_data(t.detach().contiguous(at::MemoryFormat::ChannelsLast));
      })
}

// Whether t is channels-last contiguous (1) or not (0).
int bt_is_channels_last(tensor t) {
  PROTECT(return t->is_contiguous(at::MemoryFormat::ChannelsLast) ? 1 : 0;)
  return -1;
}

// A new contiguous CPU tensor of the given shape and dtype (a c10::ScalarType code, gotch's
// DType.CInt()) whose memory is page-locked when pinned is 1 and libtorch has CUDA (pinned memory
// needs a CUDA context; without CUDA the tensor is ordinary memory). The caller fills it with
// bt_copy_from_host and owns the handle.
tensor bt_host_empty(int64_t *sizes, int ndim, int dtype, int pinned) {
  PROTECT(
      auto opts = torch::TensorOptions().dtype(static_cast<at::ScalarType>(dtype)).device(at::kCPU);
      if (pinned && torch::cuda::is_available()) opts = opts.pinned_memory(true);
      return new torch::Tensor(torch::empty(at::IntArrayRef(sizes, ndim), opts));)
  return nullptr;
}

// Copies nbytes from src into the memory of dst, a contiguous CPU tensor of exactly nbytes.
void bt_copy_from_host(tensor dst, const void *src, size_t nbytes) {
  PROTECT(
      if (!dst->device().is_cpu()) throw std::invalid_argument("bt_copy_from_host: the tensor is not on the CPU");
      if (!dst->is_contiguous()) throw std::invalid_argument("bt_copy_from_host: the tensor is not contiguous");
      if ((size_t)dst->nbytes() != nbytes) throw std::invalid_argument("bt_copy_from_host: size mismatch");
      memcpy(dst->data_ptr(), src, nbytes);)
}

// Whether the CPU tensor t is in page-locked memory.
int bt_is_pinned(tensor t) {
  PROTECT(return t->is_pinned() ? 1 : 0;)
  return -1;
}

// A new handle to t on device (gotch's device code: -1 the CPU, i >= 0 cuda:i), copied without
// waiting for the copy to finish when non_blocking is 1 (an upload from pinned memory, or a
// download into pinned memory, is then asynchronous with respect to the host).
tensor bt_to_device(tensor t, int device, int non_blocking) {
  PROTECT(
      auto dev = device < 0 ? at::Device(at::kCPU) : at::Device(at::kCUDA, device);
      return new torch::Tensor(t->to(dev, /*non_blocking=*/non_blocking != 0));)
  return nullptr;
}

// Copies src into dst (any devices, same shape), without waiting when non_blocking is 1.
void bt_copy_(tensor dst, tensor src, int non_blocking) {
  PROTECT(torch::NoGradGuard no_grad; dst->copy_(*src, non_blocking != 0);)
}

// Enters (enable 1) or leaves (0) automatic mixed precision in bfloat16 on the CUDA devices
// (cuda 1) or the CPU (0), as torch.autocast(device_type, dtype=torch.bfloat16) does around a
// forward pass: ops on autocast's lower-precision list (convolutions, matrix products) run in
// bfloat16, those on its float32 list (softmax, log-softmax, losses) in float32. Leaving the
// outermost region clears autocast's cache of bfloat16 weight copies.
void bt_autocast_bf16(int enable, int cuda) { PROTECT(autocast_bf16(enable != 0, cuda != 0);) }

// Whether autocast is on for CUDA (cuda 1) or the CPU (0) on this thread.
int bt_autocast_enabled(int cuda) { PROTECT(return autocast_enabled(cuda != 0) ? 1 : 0;) return -1; }

// Records an event on the current stream of CUDA device `device` and returns it: the point in
// that stream's queue after all work queued so far. bt_event_wait waits for it on the host.
void *bt_event_record(int device) {
  PROTECT(
      auto *ev = new c10::Event(c10::DeviceType::CUDA);
      auto *impl = c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA);
      ev->record(impl->getStream(c10::Device(c10::DeviceType::CUDA, device)));
      return ev;)
  return nullptr;
}

// Waits on the host until the event's work is done, then frees the event. (c10::Event of
// libtorch 2.1 has no synchronize: it is polled, yielding the thread between polls.)
void bt_event_wait(void *e) {
  PROTECT(
      auto *ev = static_cast<c10::Event *>(e);
      while (!ev->query()) std::this_thread::yield();
      delete ev;)
}

}  // extern "C"

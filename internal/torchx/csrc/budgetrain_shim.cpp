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

// Mirrors torch::optim::SGD::step (torch/csrc/api/src/optim/sgd.cpp, libtorch 2.1).
void bt_sgd_step(void *opt, double lr) {
  PROTECT(
      auto *o = static_cast<bt_sgd *>(opt);
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < o->params.size(); ++i) {
        auto &p = o->params[i];
        if (!p.grad().defined()) continue;
        auto d_p = p.grad().data();
        if (o->weight_decay != 0) d_p = d_p.add(p.data(), o->weight_decay);
        if (o->momentum != 0) {
          torch::Tensor buf;
          if (!o->bufs[i].defined()) {
            buf = torch::clone(d_p).detach();
            o->bufs[i] = buf;
          } else {
            buf = o->bufs[i];
            buf.mul_(o->momentum).add_(d_p, 1 - o->dampening);
          }
          if (o->nesterov) d_p = d_p.add(buf, o->momentum);
          else d_p = buf;
        }
        p.data().add_(d_p, -1 * lr);
      })
}

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

}  // extern "C"

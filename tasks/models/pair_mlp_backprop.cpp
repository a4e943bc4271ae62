#include "tasks/models/pair_mlp_backprop.h"

namespace genbench {

namespace {

// relu(W0[:, a_i] + W0[:, p + b_i]) per row, from the columns laid out as
// rows. What index_select, add and relu (clamp_min: NaN stays NaN) compute.
template <typename T>
void gather_relu(const torch::Tensor& columns, const torch::Tensor& a, const torch::Tensor& b, int64_t p,
                 torch::Tensor& out) {
  const int64_t n = out.size(0), width = out.size(1);
  const T* cols = columns.data_ptr<T>();
  const int64_t *ai = a.data_ptr<int64_t>(), *bi = b.data_ptr<int64_t>();
  T* o = out.data_ptr<T>();
  for (int64_t i = 0; i < n; ++i) {
    const T* ra = cols + ai[i] * width;
    const T* rb = cols + (bi[i] + p) * width;
    T* row = o + i * width;
    for (int64_t j = 0; j < width; ++j) {
      const T v = ra[j] + rb[j];
      row[j] = v < 0 ? T(0) : v;
    }
  }
}

// relu's backward in place: threshold_backward(grad, output, 0) keeps the
// gradient where the output is > 0.
template <typename T>
void mask_by_output(torch::Tensor& grad, const torch::Tensor& output) {
  T* g = grad.data_ptr<T>();
  const T* h = output.data_ptr<T>();
  const int64_t size = grad.numel();
  for (int64_t k = 0; k < size; ++k) g[k] = h[k] <= 0 ? T(0) : g[k];
}

// The first layer's backward: relu's mask, then both index_selects' backward
// (index_add_ of the rows, in row order) into one buffer. Their rows are
// disjoint (a < p <= p + b), so one buffer holds the sum exactly.
template <typename T>
void mask_scatter(const torch::Tensor& grad, const torch::Tensor& output, const torch::Tensor& a,
                  const torch::Tensor& b, int64_t p, torch::Tensor& columns_grad) {
  const int64_t n = grad.size(0), width = grad.size(1);
  const T *g = grad.data_ptr<T>(), *h = output.data_ptr<T>();
  const int64_t *ai = a.data_ptr<int64_t>(), *bi = b.data_ptr<int64_t>();
  T* cols = columns_grad.data_ptr<T>();
  for (int64_t i = 0; i < n; ++i) {
    T* ra = cols + ai[i] * width;
    T* rb = cols + (bi[i] + p) * width;
    const T *gi = g + i * width, *hi = h + i * width;
    for (int64_t j = 0; j < width; ++j) {
      const T v = hi[j] <= 0 ? T(0) : gi[j];
      ra[j] += v;
      rb[j] += v;
    }
  }
}

}  // namespace

bool PairMlpBackprop::covers(const PairMlpImpl& net) {
  if (net.quadratic || net.out->bias.defined()) return false;
  for (const auto& layer : net.hidden)
    if (layer->bias.defined()) return false;
  return true;
}

PairMlpBackprop::PairMlpBackprop(PairMlp net) : net_(std::move(net)) {
  TORCH_CHECK(covers(*net_), "PairMlpBackprop: a relu PairMlp without biases");
}

void PairMlpBackprop::resize(int64_t n, const torch::TensorOptions& options) {
  const int64_t width = net_->hidden[0]->weight.size(0);
  hidden_.assign(net_->hidden.size(), torch::Tensor());
  for (auto& h : hidden_) h = torch::empty({n, width}, options);
  logits_ = torch::empty({n, net_->p}, options);
  log_probs_ = torch::empty_like(logits_);
  dlogits_ = torch::empty_like(logits_);
  dlog_probs_ = torch::zeros_like(logits_);
  marked_ = torch::Tensor();
  dhidden_ = torch::empty({n, width}, options);
  dprevious_ = torch::empty({n, width}, options);
}

void PairMlpBackprop::gradients(const torch::Tensor& a_in, const torch::Tensor& b_in, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  const auto a = a_in.contiguous(), b = b_in.contiguous();
  const int64_t n = y.size(0), p = net_->p, depth = static_cast<int64_t>(net_->hidden.size());
  const auto& first = net_->hidden[0]->weight;
  const auto options = first.options();
  if (!logits_.defined() || logits_.size(0) != n || logits_.scalar_type() != first.scalar_type()) resize(n, options);

  // Forward, keeping each relu output (its own mask).
  const auto columns = first.t().contiguous();  // 2p x width: a row per one-hot input
  AT_DISPATCH_FLOATING_TYPES(first.scalar_type(), "pair_mlp_forward",
                             [&] { gather_relu<scalar_t>(columns, a, b, p, hidden_[0]); });
  for (int64_t l = 1; l < depth; ++l) {
    at::mm_out(hidden_[l], hidden_[l - 1], net_->hidden[l]->weight.t());
    at::relu_(hidden_[l]);
  }
  at::mm_out(logits_, hidden_[depth - 1], net_->out->weight.t());
  at::_log_softmax_out(log_probs_, logits_, 1, false);

  // nll_loss's backward: -1/n (in the run's type) at each target, 0 elsewhere.
  // Full batch: the same labels every step, so it is written once.
  if (!marked_.defined() || !marked_.is_same(y)) {
    if (marked_.defined()) dlog_probs_.scatter_(1, marked_.unsqueeze(1), 0);
    double value = 0;
    AT_DISPATCH_FLOATING_TYPES(first.scalar_type(), "nll_grad",
                               [&] { value = static_cast<double>(-(scalar_t(1) / static_cast<scalar_t>(n))); });
    dlog_probs_.scatter_(1, y.unsqueeze(1), value);
    marked_ = y;
  }
  at::_log_softmax_backward_data_out(dlogits_, dlog_probs_, log_probs_, 1, first.scalar_type());

  // Backward, layer by layer: mm's two backward products as autograd forms
  // them for x W^T (dW = g^T x, dx = g W), then relu's mask.
  const torch::Tensor* grad = &dlogits_;
  for (int64_t l = depth; l >= 1; --l) {
    const auto& weight = l == depth ? net_->out->weight : net_->hidden[l]->weight;
    auto weight_grad = weight.grad();
    at::mm_out(weight_grad, grad->t(), hidden_[l - 1]);
    auto& into = grad == &dhidden_ ? dprevious_ : dhidden_;
    at::mm_out(into, *grad, weight);
    if (l > 1)
      AT_DISPATCH_FLOATING_TYPES(first.scalar_type(), "relu_backward",
                                 [&] { mask_by_output<scalar_t>(into, hidden_[l - 1]); });
    grad = &into;
  }
  if (!dcolumns_.defined() || dcolumns_.scalar_type() != first.scalar_type()) dcolumns_ = torch::empty({2 * p, first.size(0)}, options);
  dcolumns_.zero_();
  AT_DISPATCH_FLOATING_TYPES(first.scalar_type(), "pair_mlp_first_layer",
                             [&] { mask_scatter<scalar_t>(*grad, hidden_[0], a, b, p, dcolumns_); });
  first.grad().copy_(dcolumns_.t());
}

}  // namespace genbench

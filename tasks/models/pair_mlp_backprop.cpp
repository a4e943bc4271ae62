#include "tasks/models/pair_mlp_backprop.h"

namespace genbench {

namespace {

// relu(W0[:, a_i] + W0[:, p + b_i]) per row of each member, from the columns
// laid out as rows ([S, 2p, width]). What index_select, add and relu
// (clamp_min: NaN stays NaN) compute.
template <typename T>
void gather_relu(const torch::Tensor& columns, const torch::Tensor& a, const torch::Tensor& b, int64_t p,
                 torch::Tensor& out) {
  const int64_t S = out.size(0), n = out.size(1), width = out.size(2);
  for (int64_t s = 0; s < S; ++s) {
    const T* cols = columns.data_ptr<T>() + s * 2 * p * width;
    const int64_t *ai = a.data_ptr<int64_t>() + s * n, *bi = b.data_ptr<int64_t>() + s * n;
    T* o = out.data_ptr<T>() + s * n * width;
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
// (index_add_ of the rows, in row order) into one buffer per member. Their
// rows are disjoint (a < p <= p + b), so one buffer holds the sum exactly.
template <typename T>
void mask_scatter(const torch::Tensor& grad, const torch::Tensor& output, const torch::Tensor& a,
                  const torch::Tensor& b, int64_t p, torch::Tensor& columns_grad) {
  const int64_t S = grad.size(0), n = grad.size(1), width = grad.size(2);
  for (int64_t s = 0; s < S; ++s) {
    const T *g = grad.data_ptr<T>() + s * n * width, *h = output.data_ptr<T>() + s * n * width;
    const int64_t *ai = a.data_ptr<int64_t>() + s * n, *bi = b.data_ptr<int64_t>() + s * n;
    T* cols = columns_grad.data_ptr<T>() + s * 2 * p * width;
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
}

}  // namespace

bool PairMlpBackprop::covers(const PairMlpImpl& net) {
  if (net.quadratic || net.out->bias.defined()) return false;
  for (const auto& layer : net.hidden)
    if (layer->bias.defined()) return false;
  return true;
}

namespace {

std::vector<PairMlpBackprop::Layer> layers_alone(const PairMlp& net) {
  TORCH_CHECK(PairMlpBackprop::covers(*net), "PairMlpBackprop: a relu PairMlp without biases");
  torch::NoGradGuard no_grad;  // views of the parameters, not differentiable ones
  std::vector<PairMlpBackprop::Layer> layers;
  auto add = [&](const torch::nn::Linear& linear) {
    TORCH_CHECK(linear->weight.grad().defined(), "PairMlpBackprop: every weight's .grad() defined");
    layers.push_back({linear->weight.unsqueeze(0), linear->weight.grad().unsqueeze(0)});
  };
  for (const auto& h : net->hidden) add(h);
  add(net->out);
  return layers;
}

}  // namespace

PairMlpBackprop::PairMlpBackprop(PairMlp net, Kernels kernels) : PairMlpBackprop(layers_alone(net), net->p, kernels) {}

PairMlpBackprop::PairMlpBackprop(std::vector<Layer> layers, int64_t p, Kernels kernels)
    : layers_(std::move(layers)), p_(p) {
  TORCH_CHECK(layers_.size() >= 2, "PairMlpBackprop: at least one hidden layer and the output layer");
  const auto& first = layers_[0].weight;
  TORCH_CHECK(first.dim() == 3 && first.size(2) == 2 * p, "PairMlpBackprop: the first layer is [S, width, 2p]");
  S_ = first.size(0);
  width_ = first.size(1);
  for (size_t l = 0; l < layers_.size(); ++l) {
    const auto& w = layers_[l].weight;
    const bool last = l + 1 == layers_.size();
    TORCH_CHECK(w.dim() == 3 && w.size(0) == S_ && w.scalar_type() == first.scalar_type() &&
                    w.device() == first.device(),
                "PairMlpBackprop: every layer is [S, out, in], of one dtype and device");
    TORCH_CHECK(l == 0 || (w.size(2) == width_ && w.size(1) == (last ? p : width_)),
                "PairMlpBackprop: hidden layers of one width, each taking the last's output, and p outputs");
    TORCH_CHECK(layers_[l].weight_grad.sizes() == w.sizes(), "PairMlpBackprop: each gradient has its weight's shape");
    torch::NoGradGuard no_grad;
    slices_.push_back({Members(w), Members(w.transpose(1, 2)), Members(layers_[l].weight_grad)});
  }
  loops_ = kernels == Kernels::Native && first.is_cpu();
  if (!loops_)  // member i's first row in the stacked columns
    column_offsets_ = (torch::arange(S_, first.options().dtype(torch::kInt64)) * (2 * p)).view({S_, 1});
}

void PairMlpBackprop::resize(int64_t n) {
  const auto options = layers_[0].weight.options();
  hidden_.clear();
  for (size_t l = 0; l + 1 < layers_.size(); ++l) hidden_.emplace_back(torch::empty({S_, n, width_}, options));
  logits_ = Members(torch::empty({S_, n, p_}, options));
  log_probs_ = torch::empty({S_ * n, p_}, options);
  dlog_probs_ = torch::zeros_like(log_probs_);
  marked_ = torch::Tensor();
  auto with_transpose = [&](Members& m, Members& t, int64_t width) {
    m = Members(torch::empty({S_, n, width}, options));
    t = Members(m.all.transpose(1, 2));
  };
  with_transpose(dlogits_, dlogits_t_, p_);
  with_transpose(dhidden_, dhidden_t_, width_);
  with_transpose(dprevious_, dprevious_t_, width_);
  dcolumns_ = torch::empty({S_, 2 * p_, width_}, options);
}

void PairMlpBackprop::gradients(const torch::Tensor& a_in, const torch::Tensor& b_in, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  const auto a = a_in.reshape({S_, -1}).contiguous(), b = b_in.reshape({S_, -1}).contiguous();
  const int64_t n = a.size(1), p = p_, depth = static_cast<int64_t>(layers_.size()) - 1;
  TORCH_CHECK(b.size(1) == n && y.numel() == S_ * n, "PairMlpBackprop: a, b [S, n] and y [S * n]");
  const auto dtype = layers_[0].weight.scalar_type();
  if (!log_probs_.defined() || log_probs_.size(0) != S_ * n) resize(n);

  // Off the loops: each member's rows of a and b as rows of the stacked columns.
  torch::Tensor rows_a, rows_b;
  if (!loops_) {
    rows_a = (a + column_offsets_).view(-1);
    rows_b = (b + (column_offsets_ + p)).view(-1);
  }

  // Forward, keeping each relu output (its own mask).
  const auto columns = layers_[0].weight.transpose(1, 2).contiguous();  // [S, 2p, width]: a row per one-hot input
  auto& first_hidden = hidden_[0].all;
  if (loops_) {
    AT_DISPATCH_FLOATING_TYPES(dtype, "pair_mlp_forward", [&] { gather_relu<scalar_t>(columns, a, b, p, first_hidden); });
  } else {
    const auto flat = columns.view({S_ * 2 * p, width_});
    auto out = first_hidden.view({S_ * n, width_});
    at::add_out(out, flat.index_select(0, rows_a), flat.index_select(0, rows_b));
    at::relu_(first_hidden);
  }
  for (int64_t l = 1; l < depth; ++l) {
    member_mm_out(hidden_[l], hidden_[l - 1], slices_[l].weight_t, nullptr);
    at::relu_(hidden_[l].all);
  }
  member_mm_out(logits_, hidden_[depth - 1], slices_[depth].weight_t, nullptr);
  at::_log_softmax_out(log_probs_, logits_.all.view({S_ * n, p}), 1, false);

  // nll_loss's backward: -1/n (in the run's type) at each target, 0 elsewhere.
  // Full batch: the same labels every step, so it is written once.
  if (!marked_.defined() || !marked_.is_same(y)) {
    if (marked_.defined()) dlog_probs_.scatter_(1, marked_.view({-1, 1}), 0);
    double value = 0;
    AT_DISPATCH_FLOATING_TYPES(dtype, "nll_grad", [&] { value = static_cast<double>(-(scalar_t(1) / static_cast<scalar_t>(n))); });
    dlog_probs_.scatter_(1, y.reshape({-1, 1}), value);
    marked_ = y;
  }
  auto dlogits = dlogits_.all.view({S_ * n, p});
  at::_log_softmax_backward_data_out(dlogits, dlog_probs_, log_probs_, 1, dtype);

  // Backward, layer by layer: mm's two backward products as autograd forms
  // them for x W^T (dW = g^T x, dx = g W), then relu's mask.
  const Members* grad = &dlogits_;
  const Members* grad_t = &dlogits_t_;
  for (int64_t l = depth; l >= 1; --l) {
    auto& slices = slices_[l];
    member_mm_out(slices.weight_grad, *grad_t, hidden_[l - 1], nullptr);
    const bool to_hidden = grad != &dhidden_;
    auto& into = to_hidden ? dhidden_ : dprevious_;
    member_mm_out(into, *grad, slices.weight, nullptr);
    if (l > 1) {
      if (loops_) AT_DISPATCH_FLOATING_TYPES(dtype, "relu_backward", [&] { mask_by_output<scalar_t>(into.all, hidden_[l - 1].all); });
      else at::threshold_backward_out(into.all, into.all, hidden_[l - 1].all, 0);
    }
    grad = &into;
    grad_t = to_hidden ? &dhidden_t_ : &dprevious_t_;
  }
  dcolumns_.zero_();
  if (loops_) {
    AT_DISPATCH_FLOATING_TYPES(dtype, "pair_mlp_first_layer",
                               [&] { mask_scatter<scalar_t>(grad->all, first_hidden, a, b, p, dcolumns_); });
  } else {
    const auto masked = at::threshold_backward(grad->all, first_hidden, 0).view({S_ * n, width_});
    auto flat = dcolumns_.view({S_ * 2 * p, width_});
    flat.index_add_(0, rows_a, masked);
    flat.index_add_(0, rows_b, masked);
  }
  layers_[0].weight_grad.copy_(dcolumns_.transpose(1, 2));
}

}  // namespace genbench

#include "tasks/models/relu_mlp_backprop.h"

#include <string>

namespace genbench {

Members::Members(torch::Tensor whole, bool rows_of_one) : all(std::move(whole)) {
  for (int64_t i = 0; i < all.size(0); ++i) each.push_back(rows_of_one ? all[i][0] : all[i]);
}

void member_mm_out(Members& out, const Members& a, const Members& b, const Members* bias) {
  const auto S = static_cast<int64_t>(a.each.size());
  if (S > 1 && a.all.size(1) * a.all.size(2) * b.all.size(2) >= 400) {
    if (bias) at::baddbmm_out(out.all, bias->all, a.all, b.all);
    else at::bmm_out(out.all, a.all, b.all);
    return;
  }
  for (int64_t i = 0; i < S; ++i) {
    if (bias) at::addmm_out(out.each[i], bias->each[i], a.each[i], b.each[i]);
    else at::mm_out(out.each[i], a.each[i], b.each[i]);
  }
}

torch::Tensor member_mm(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& bias) {
  Members out(torch::empty({a.size(0), a.size(1), b.size(2)}, a.options()));
  Members bias_members;
  if (bias.defined()) bias_members = Members(bias, /*rows_of_one=*/true);
  member_mm_out(out, Members(a), Members(b), bias.defined() ? &bias_members : nullptr);
  return out.all;
}

namespace {

// relu in place: what clamp_min(x, 0) computes, NaN and -0 kept.
void relu_in_place(torch::Tensor& x, bool loops) {
  if (!loops) {
    at::relu_(x);
    return;
  }
  float* v = x.data_ptr<float>();
  const int64_t size = x.numel();
  for (int64_t k = 0; k < size; ++k) v[k] = v[k] < 0 ? 0.0f : v[k];
}

// relu's backward in place: threshold_backward(grad, output, 0) keeps the
// gradient where the output is > 0.
void mask_by_output(torch::Tensor& grad, const torch::Tensor& output, bool loops) {
  if (!loops) {
    at::threshold_backward_out(grad, grad, output, 0);
    return;
  }
  float* g = grad.data_ptr<float>();
  const float* h = output.data_ptr<float>();
  const int64_t size = grad.numel();
  for (int64_t k = 0; k < size; ++k) g[k] = h[k] <= 0 ? 0.0f : g[k];
}

}  // namespace

ReluMlpBackprop::ReluMlpBackprop(std::vector<Layer> layers, Kernels kernels) : layers_(std::move(layers)) {
  TORCH_CHECK(!layers_.empty(), "ReluMlpBackprop: no layers");
  S_ = layers_[0].weight.size(0);
  loops_ = kernels == Kernels::Native && layers_[0].weight.is_cpu();
  for (const auto& l : layers_) {
    TORCH_CHECK(l.weight.dim() == 3 && l.weight.size(0) == S_ && l.bias.dim() == 3 && l.bias.size(1) == 1,
                "ReluMlpBackprop: a layer is a weight [S, out, in] and a bias [S, 1, out]");
    TORCH_CHECK(l.weight.scalar_type() == torch::kFloat32, "ReluMlpBackprop: float32 weights");
    TORCH_CHECK(l.weight_grad.sizes() == l.weight.sizes() && l.bias_grad.sizes() == l.bias.sizes(),
                "ReluMlpBackprop: each gradient has its parameter's shape");
    if (&l != &layers_.front())  // one hidden width: dx's two buffers serve every layer
      TORCH_CHECK(l.weight.size(2) == layers_[0].weight.size(1) &&
                      (&l == &layers_.back() || l.weight.size(1) == layers_[0].weight.size(1)),
                  "ReluMlpBackprop: the hidden layers are all of one width, each taking the last's output");
    torch::NoGradGuard no_grad;  // views of the parameters, not differentiable ones
    slices_.push_back({Members(l.weight), Members(l.weight.transpose(1, 2)), Members(l.bias, /*rows_of_one=*/true),
                       Members(l.weight_grad), Members(l.bias_grad)});
  }
}

void ReluMlpBackprop::resize(int64_t rows) {
  const auto options = layers_[0].weight.options();
  outputs_.clear();
  for (const auto& l : layers_) outputs_.emplace_back(torch::empty({S_, rows, l.weight.size(1)}, options));
  const int64_t classes = layers_.back().weight.size(1);
  log_probs_ = torch::empty({S_ * rows, classes}, options);
  dlog_probs_ = torch::zeros_like(log_probs_);
  marked_.clear();
  auto with_transpose = [&](Members& m, Members& t, int64_t width) {
    m = Members(torch::empty({S_, rows, width}, options));
    t = Members(m.all.transpose(1, 2));
  };
  with_transpose(dlogits_, dlogits_t_, classes);
  if (layers_.size() > 1) {
    const int64_t width = layers_[0].weight.size(1);
    with_transpose(dhidden_, dhidden_t_, width);
    with_transpose(dprevious_, dprevious_t_, width);
  }
}

void ReluMlpBackprop::gradients(const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard no_grad;
  TORCH_CHECK(x.dim() == 3 && x.size(0) == S_ && x.scalar_type() == torch::kFloat32 && x.is_contiguous(),
              "ReluMlpBackprop: x is [S, rows, in], contiguous float32");
  const int64_t rows = x.size(1), depth = static_cast<int64_t>(layers_.size());
  TORCH_CHECK(y.numel() == S_ * rows, "ReluMlpBackprop: one label per row of every member");
  if (!log_probs_.defined() || log_probs_.size(0) != S_ * rows) resize(rows);
  const int64_t classes = log_probs_.size(1);

  // Forward: x W^T + b (addmm, as Linear), relu but on the logits.
  const Members input(x);
  for (int64_t l = 0; l < depth; ++l) {
    member_mm_out(outputs_[l], l ? outputs_[l - 1] : input, slices_[l].weight_t, &slices_[l].bias);
    if (l + 1 < depth) relu_in_place(outputs_[l].all, loops_);
  }
  at::_log_softmax_out(log_probs_, outputs_.back().all.view({S_ * rows, classes}), 1, false);

  // nll_loss's backward, mean over each member's rows: -(1 / rows) in float
  // (the stack's mean(1) divides its ones by rows; alone, nll_loss divides by
  // its total weight, rows) at each target, 0 elsewhere.
  const float value = -(1.0f / static_cast<float>(rows));
  if (!loops_) {
    dlog_probs_.zero_();
    dlog_probs_.scatter_(1, y.reshape({-1, 1}), value);
  } else {
    const auto labels = y.contiguous();
    const int64_t* target = labels.data_ptr<int64_t>();
    float* d = dlog_probs_.data_ptr<float>();
    for (size_t i = 0; i < marked_.size(); ++i) d[static_cast<int64_t>(i) * classes + marked_[i]] = 0.0f;
    marked_.assign(target, target + S_ * rows);
    for (int64_t i = 0; i < S_ * rows; ++i) {
      TORCH_CHECK(target[i] >= 0 && target[i] < classes, "ReluMlpBackprop: a label outside [0, ", classes, ")");
      d[i * classes + target[i]] = value;
    }
  }
  auto dlogits = dlogits_.all.view({S_ * rows, classes});
  at::_log_softmax_backward_data_out(dlogits, dlog_probs_, log_probs_, 1, torch::kFloat32);

  // Backward, layer by layer: addmm's backward as autograd forms it for
  // x W^T + b (dW = g^T x, db = g summed over the rows, dx = g W), then
  // relu's mask. A member alone sums its [rows, out] gradient over dim 0, as
  // autograd does; a stack sums over dim 1, as the stacked autograd did.
  const Members* grad = &dlogits_;
  const Members* grad_t = &dlogits_t_;
  for (int64_t l = depth - 1; l >= 0; --l) {
    auto& slices = slices_[l];
    member_mm_out(slices.weight_grad, *grad_t, l ? outputs_[l - 1] : input, nullptr);
    if (S_ == 1) at::sum_out(slices.bias_grad.each[0], grad->each[0], {0}, /*keepdim=*/true);
    else at::sum_out(slices.bias_grad.all, grad->all, {1}, /*keepdim=*/true);
    if (l == 0) break;
    const bool to_hidden = grad != &dhidden_;
    auto& into = to_hidden ? dhidden_ : dprevious_;
    member_mm_out(into, *grad, slices.weight, nullptr);
    mask_by_output(into.all, outputs_[l - 1].all, loops_);
    grad = &into;
    grad_t = to_hidden ? &dhidden_t_ : &dprevious_t_;
  }
}

}  // namespace genbench

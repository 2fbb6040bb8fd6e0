#pragma once
// oneDNN (Debian's libdnnl-dev 2.6), the speed peer of bench/conv.cpp: the same layer in the
// same direction at the same batch, through oneDNN's convolution and deconvolution
// primitives with every tensor in the layout oneDNN picks for this ISA (format_tag::any:
// nChw8c / nChw16c blocked layouts and their blocked weights), so the figure is oneDNN at its
// best. The layout reorders happen once, in setup, outside the timed loop; each iteration is
// one primitive execution and a stream wait. oneDNN uses the process's OpenMP runtime, so
// gan::set_num_threads sets its thread count too.

#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>
#include <vector>

namespace gan::bench {

class OneDnnConv {
 public:
  /// A conv (transposed = false) or transposed conv with kernel k, stride s, padding p on the
  /// layer's own input [n, in_ch, h, w]; direction 0 forward, 1 backward-data, 2 backward-weights
  /// (with the bias gradient).
  OneDnnConv(bool transposed, long n, long in_ch, long out_ch, long h, long w, long k, long s,
             long p, int direction)
      : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
    using dnnl::memory;
    using tag = memory::format_tag;
    const memory::data_type f32 = memory::data_type::f32;
    const long oh = transposed ? (h - 1) * s - 2 * p + k : (h + 2 * p - k) / s + 1;
    const long ow = transposed ? (w - 1) * s - 2 * p + k : (w + 2 * p - k) / s + 1;
    const memory::desc src({n, in_ch, h, w}, f32, tag::any),
        dst({n, out_ch, oh, ow}, f32, tag::any), wei({out_ch, in_ch, k, k}, f32, tag::any),
        bias({out_ch}, f32, tag::x);
    const memory::dims strides = {s, s}, pad = {p, p};
    const auto prop = dnnl::prop_kind::forward_training;
    if (!transposed) {
      using fwd = dnnl::convolution_forward;
      const auto algo = dnnl::algorithm::convolution_direct;
      const fwd::primitive_desc fwd_pd(
          fwd::desc(prop, algo, src, wei, bias, dst, strides, pad, pad), engine_);
      if (direction == 0) {
        set(fwd(fwd_pd), {{DNNL_ARG_SRC, fwd_pd.src_desc()},
                          {DNNL_ARG_WEIGHTS, fwd_pd.weights_desc()},
                          {DNNL_ARG_BIAS, fwd_pd.bias_desc()},
                          {DNNL_ARG_DST, fwd_pd.dst_desc()}});
      } else if (direction == 1) {
        using bwd = dnnl::convolution_backward_data;
        const bwd::primitive_desc pd(bwd::desc(algo, src, wei, dst, strides, pad, pad), engine_,
                                     fwd_pd);
        set(bwd(pd), {{DNNL_ARG_DIFF_SRC, pd.diff_src_desc()},
                      {DNNL_ARG_WEIGHTS, pd.weights_desc()},
                      {DNNL_ARG_DIFF_DST, pd.diff_dst_desc()}});
      } else {
        using bwd = dnnl::convolution_backward_weights;
        const bwd::primitive_desc pd(bwd::desc(algo, src, wei, bias, dst, strides, pad, pad),
                                     engine_, fwd_pd);
        set(bwd(pd), {{DNNL_ARG_SRC, pd.src_desc()},
                      {DNNL_ARG_DIFF_WEIGHTS, pd.diff_weights_desc()},
                      {DNNL_ARG_DIFF_BIAS, pd.diff_bias_desc()},
                      {DNNL_ARG_DIFF_DST, pd.diff_dst_desc()}});
      }
    } else {
      using fwd = dnnl::deconvolution_forward;
      const auto algo = dnnl::algorithm::deconvolution_direct;
      const fwd::primitive_desc fwd_pd(
          fwd::desc(prop, algo, src, wei, bias, dst, strides, pad, pad), engine_);
      if (direction == 0) {
        set(fwd(fwd_pd), {{DNNL_ARG_SRC, fwd_pd.src_desc()},
                          {DNNL_ARG_WEIGHTS, fwd_pd.weights_desc()},
                          {DNNL_ARG_BIAS, fwd_pd.bias_desc()},
                          {DNNL_ARG_DST, fwd_pd.dst_desc()}});
      } else if (direction == 1) {
        using bwd = dnnl::deconvolution_backward_data;
        const bwd::primitive_desc pd(bwd::desc(algo, src, wei, dst, strides, pad, pad), engine_,
                                     fwd_pd);
        set(bwd(pd), {{DNNL_ARG_DIFF_SRC, pd.diff_src_desc()},
                      {DNNL_ARG_WEIGHTS, pd.weights_desc()},
                      {DNNL_ARG_DIFF_DST, pd.diff_dst_desc()}});
      } else {
        using bwd = dnnl::deconvolution_backward_weights;
        const bwd::primitive_desc pd(bwd::desc(algo, src, wei, bias, dst, strides, pad, pad),
                                     engine_, fwd_pd);
        set(bwd(pd), {{DNNL_ARG_SRC, pd.src_desc()},
                      {DNNL_ARG_DIFF_WEIGHTS, pd.diff_weights_desc()},
                      {DNNL_ARG_DIFF_BIAS, pd.diff_bias_desc()},
                      {DNNL_ARG_DIFF_DST, pd.diff_dst_desc()}});
      }
    }
  }

  void run() {
    primitive_.execute(stream_, args_);
    stream_.wait();
  }

 private:
  /// Keeps the primitive and one buffer per argument, in the layout its descriptor chose,
  /// filled with a small constant (no denormals; the values do not change the timing).
  void set(dnnl::primitive p, const std::vector<std::pair<int, dnnl::memory::desc>>& descs) {
    primitive_ = std::move(p);
    for (const auto& [arg, desc] : descs) {
      dnnl::memory m(desc, engine_);
      float* data = static_cast<float*>(m.get_data_handle());
      const std::size_t count = desc.get_size() / sizeof(float);
      for (std::size_t i = 0; i < count; ++i) data[i] = 0.25f + 1e-3f * static_cast<float>(i % 97);
      args_.emplace(arg, m);
    }
  }

  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::primitive primitive_;
  std::unordered_map<int, dnnl::memory> args_;
};

}  // namespace gan::bench

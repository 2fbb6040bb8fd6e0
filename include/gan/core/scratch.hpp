#pragma once
/// scratch<T>(n): the working memory of the layers' kernels, one block per thread and value
/// type, shared by every layer that runs on that thread.
///
/// A Dense, Conv2d or ConvTranspose2d call needs GEMM packing space and, for convolutions,
/// a chunk of lowered columns, but only while the call runs: nothing in it is read by a
/// later call. So one block serves them all, as large as the largest need seen, instead of
/// one per layer (a dcgan28 run with its EMA generator held three blocks of 6.4 MB and
/// three of 1.4 MB; now it holds one of 6.4 MB). The block grows, with one allocation, only
/// when a call needs more than any before it on this thread (a larger layer, a larger
/// batch, more threads for the packing space); steady-state steps allocate nothing. It is
/// released when the thread ends.
///
/// The pointer is valid until the next scratch() call on the same thread: a layer takes it
/// once per forward or backward and passes it to its kernels, and no kernel calls a layer.
/// Worker threads of a parallel region use the caller's pointer; they never call scratch().

#include "gan/core/shape.hpp"
#include "gan/core/tensor.hpp"

namespace gan::detail {

/// At least n elements of scratch for this thread (nullptr when n is 0 and none was needed
/// before); the contents are left over from earlier calls.
template <class T>
T* scratch(index_t n) {
  thread_local Tensor<T> block;
  if (block.size() < n) block.resize(Shape{n});
  return block.data();
}

}  // namespace gan::detail

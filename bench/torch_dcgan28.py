#!/usr/bin/python3
"""PyTorch CPU anchor for the DCGAN-28 reference architecture.

Modes:
  train   : full GAN training steps (D on real+fake with BCE, then non-saturating G step),
            Adam(lr=2e-4, betas=(0.5, 0.999)), batch 64, random data in [0,1].
  dstep   : discriminator-only step (fwd + BCE + bwd + Adam) on one random batch of 64.
  layers  : per-layer forward / backward-data / backward-weights GFLOP/s of the four
            conv / conv-transpose layers at batch 64 (FLOPs = 2*MACs).
  info    : backend information (mkldnn availability, torch.__config__.show()).

Run with the Debian interpreter (/usr/bin/python3, python3-torch 1.13) from the repository's
top folder, e.g.
  /usr/bin/python3 bench/torch_dcgan28.py train --threads 2
  /usr/bin/python3 bench/torch_dcgan28.py layers --threads 1
scripts/bench.sh runs it beside our benchmarks (docs/benchmarks.md).
"""
import argparse
import statistics
import sys
import time

import torch
import torch.nn as nn

BATCH = 64
NZ = 100


def make_generator():
    return nn.Sequential(
        nn.Linear(NZ, 128 * 7 * 7),
        nn.LeakyReLU(0.2),
        nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(64, 1, 4, 2, 1),
        nn.Sigmoid(),
    )


def make_discriminator():
    return nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(128 * 7 * 7, 1),
        nn.Sigmoid(),
    )


# MACs of the layers at batch 64 (conv-transpose counted as the equivalent conv:
# N * Cin * Hin * Win * Cout * k * k; conv: N * Cout * Hout * Wout * Cin * k * k).
def layer_specs():
    return [
        # name, transposed, Cin, Cout, Hin, Win
        ("G.convT1 128->64 7->14", True, 128, 64, 7, 7),
        ("G.convT2 64->1 14->28", True, 64, 1, 14, 14),
        ("D.conv1 1->64 28->14", False, 1, 64, 28, 28),
        ("D.conv2 64->128 14->7", False, 64, 128, 14, 14),
    ]


def conv_macs(transposed, cin, cout, hin, win, k=4, s=2, p=1, n=BATCH):
    if transposed:
        return n * cin * hin * win * cout * k * k
    hout = (hin + 2 * p - k) // s + 1
    wout = (win + 2 * p - k) // s + 1
    return n * cout * hout * wout * cin * k * k


def step_flops():
    """Model FLOPs of one training step as implemented in train() (2*MACs)."""
    g_lin = BATCH * NZ * 128 * 49
    ct1 = conv_macs(True, 128, 64, 7, 7)
    ct2 = conv_macs(True, 64, 1, 14, 14)
    c1 = conv_macs(False, 1, 64, 28, 28)
    c2 = conv_macs(False, 64, 128, 14, 14)
    d_lin = BATCH * 128 * 49
    g_fwd = g_lin + ct1 + ct2
    d_fwd = c1 + c2 + d_lin
    d_bw_w = c1 + c2 + d_lin           # weight grads
    d_bw_x_noinput = c2 + d_lin        # data grads, excluding conv1 grad-input
    # D step: fwd(real)+fwd(fake.detach) each with full weight grads, data grads w/o input grad
    d_step = 2 * (d_fwd + d_bw_w + d_bw_x_noinput)
    # G step: fwd D(fake) + D weight grads (computed by autograd even though unused) +
    # D data grads incl. conv1 input grad + G weight grads + G data grads (except Linear input);
    # the G forward itself is shared with the D step and counted once below.
    g_step = d_fwd + d_bw_w + (d_bw_x_noinput + c1) + (g_lin + ct1 + ct2) + (ct1 + ct2)
    return 2 * (g_fwd + d_step + g_step)  # G forward once (fake reused, detached for D)


def train(args):
    torch.manual_seed(0)
    G = make_generator()
    D = make_discriminator()
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    crit = nn.BCELoss()
    ones = torch.ones(BATCH, 1)
    zeros = torch.zeros(BATCH, 1)
    real = torch.rand(BATCH, 1, 28, 28)

    def step():
        z = torch.randn(BATCH, NZ)
        fake = G(z)
        # D step
        optD.zero_grad(set_to_none=True)
        loss_d = crit(D(real), ones) + crit(D(fake.detach()), zeros)
        loss_d.backward()
        optD.step()
        # G step (non-saturating)
        optG.zero_grad(set_to_none=True)
        loss_g = crit(D(fake), ones)
        loss_g.backward()
        optG.step()
        return loss_d.item() + loss_g.item()

    for _ in range(args.warmup):
        step()
    rates = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for _ in range(args.steps):
            step()
        dt = time.perf_counter() - t0
        rates.append(args.steps / dt)
    med = statistics.median(rates)
    fl = step_flops()
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} batch={BATCH} "
          f"steps/repeat={args.steps} repeats={args.repeats}")
    print(f"steps/s  median {med:.2f}  min {min(rates):.2f}  max {max(rates):.2f}")
    print(f"images/s median {med * BATCH:.0f}  min {min(rates) * BATCH:.0f}  "
          f"max {max(rates) * BATCH:.0f}")
    print(f"ms/step  median {1000 / med:.2f}")
    print(f"model GFLOP/step {fl / 1e9:.3f}  -> effective GFLOP/s median {fl * med / 1e9:.1f}")
    print("RESULT train threads=%d steps_s_med=%.3f steps_s_min=%.3f steps_s_max=%.3f"
          % (torch.get_num_threads(), med, min(rates), max(rates)))


def dstep(args):
    torch.manual_seed(0)
    D = make_discriminator()
    opt = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    crit = nn.BCELoss()
    x = torch.rand(BATCH, 1, 28, 28)
    y = (torch.arange(BATCH) % 2).float().unsqueeze(1)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = crit(D(x), y)
        loss.backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    rates = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for _ in range(args.steps):
            step()
        rates.append(args.steps / (time.perf_counter() - t0))
    med = statistics.median(rates)
    print("RESULT dstep threads=%d steps_s_med=%.2f min=%.2f max=%.2f ms/step=%.2f"
          % (torch.get_num_threads(), med, min(rates), max(rates), 1000 / med))


def time_fn(fn, min_time=0.25, repeats=7):
    for _ in range(3):
        fn()
    # calibrate inner count
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-6)
    inner = max(1, int(min_time / one))
    res = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        res.append((time.perf_counter() - t0) / inner)
    return res


def layers(args):
    torch.manual_seed(0)
    conv_bw = torch.ops.aten.convolution_backward
    print(f"torch {torch.__version__} threads={torch.get_num_threads()} batch={BATCH}; "
          f"GFLOP/s = 2*MACs/time; median (min-max) over {args.repeats} repeats")
    print(f"{'layer':26s} {'GFLOP':>7s} {'fwd':>20s} {'bwd-data':>20s} {'bwd-weights':>20s}")
    for name, transposed, cin, cout, hin, win in layer_specs():
        x = torch.rand(BATCH, cin, hin, win)
        if transposed:
            w = torch.randn(cin, cout, 4, 4) * 0.05   # ConvTranspose2d weight layout
            b = torch.zeros(cout)
            y = torch.nn.functional.conv_transpose2d(x, w, b, stride=2, padding=1)
            fwd = lambda: torch.nn.functional.conv_transpose2d(x, w, b, stride=2, padding=1)
        else:
            w = torch.randn(cout, cin, 4, 4) * 0.05
            b = torch.zeros(cout)
            y = torch.nn.functional.conv2d(x, w, b, stride=2, padding=1)
            fwd = lambda: torch.nn.functional.conv2d(x, w, b, stride=2, padding=1)
        gy = torch.randn_like(y)
        common = ([cout], [2, 2], [1, 1], [1, 1], transposed, [0, 0], 1)
        bwd_x = lambda: conv_bw(gy, x, w, *common, [True, False, False])
        bwd_w = lambda: conv_bw(gy, x, w, *common, [False, True, True])
        macs = conv_macs(transposed, cin, cout, hin, win)
        gflop = 2 * macs / 1e9
        backend = ""
        if hasattr(torch._C, "_select_conv_backend"):
            try:
                backend = str(torch._C._select_conv_backend(
                    x, w, b, [2, 2], [1, 1], [1, 1], transposed, [0, 0], 1))
            except Exception as e:  # noqa
                backend = f"?({e.__class__.__name__})"
        cells = []
        for fn in (fwd, bwd_x, bwd_w):
            with torch.no_grad():
                ts = time_fn(fn, repeats=args.repeats)
            r = sorted(gflop / t for t in ts)
            cells.append(f"{statistics.median(r):6.1f} ({r[0]:5.1f}-{r[-1]:5.1f})")
        print(f"{name:26s} {gflop:7.3f} {cells[0]:>20s} {cells[1]:>20s} {cells[2]:>20s}  {backend}")
        sys.stdout.flush()


def info(_args):
    print("torch", torch.__version__)
    print("mkldnn available:", torch.backends.mkldnn.is_available())
    print("mkldnn enabled:", torch.backends.mkldnn.enabled)
    print("openmp available:", torch.backends.openmp.is_available())
    print("mkl available:", torch.backends.mkl.is_available())
    print("num_threads:", torch.get_num_threads())
    print("parallel_info:\n" + torch.__config__.parallel_info())
    print("config:\n" + torch.__config__.show())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["train", "dstep", "layers", "info"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    {"train": train, "dstep": dstep, "layers": layers, "info": info}[args.mode](args)


if __name__ == "__main__":
    main()

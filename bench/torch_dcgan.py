#!/usr/bin/python3
"""PyTorch CPU peer of bench_train_step's dcgan32_rgb and dcgan64_rgb: one full GAN step
(D on a real and a fake batch with BCE, then the non-saturating G step, Adam(2e-4, 0.5,
0.999)) at batch 64 on 3x32x32 or 3x64x64 random images, with the nets of
include/gan/models/dcgan.hpp (for 64: exactly PyTorch's examples/dcgan/main.py, ngf = ndf =
64, no conv biases). Prints images/s as the median of several timed runs.

  /usr/bin/python3 bench/torch_dcgan.py --size 32 --threads 2
  /usr/bin/python3 bench/torch_dcgan.py --size 64 --threads 2
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn

BATCH, NZ, NC, W = 64, 100, 3, 64


def generator(size):
    m = size // 8  # channels at 4x4, in units of W
    layers = [nn.ConvTranspose2d(NZ, m * W, 4, 1, 0, bias=False), nn.BatchNorm2d(m * W), nn.ReLU(True)]
    c = m * W
    while c > W:
        layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
        c //= 2
    layers += [nn.ConvTranspose2d(W, NC, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator(size):
    layers = [nn.Conv2d(NC, W, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
    c = W
    while c < (size // 8) * W:
        layers += [nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * c), nn.LeakyReLU(0.2, inplace=True)]
        c *= 2
    layers += [nn.Conv2d(c, 1, 4, 1, 0, bias=False), nn.Flatten(), nn.Sigmoid()]
    return nn.Sequential(*layers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, choices=(32, 64), default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3, help="steps per timed run")
    ap.add_argument("--repeats", type=int, default=7)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    g, d = generator(a.size), discriminator(a.size)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCELoss()
    real = torch.rand(BATCH, NC, a.size, a.size) * 2 - 1
    ones, zeros = torch.ones(BATCH, 1), torch.zeros(BATCH, 1)

    def step():
        fake = g(torch.randn(BATCH, NZ, 1, 1))
        opt_d.zero_grad()
        loss_d = bce(d(real), ones) + bce(d(fake.detach()), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        loss_g = bce(d(fake), ones)
        loss_g.backward()
        opt_g.step()

    for _ in range(2):
        step()
    rates = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step()
        rates.append(a.steps * BATCH / (time.perf_counter() - t0))
    print(f"torch {torch.__version__} dcgan{a.size}_rgb threads {a.threads}: images/s median "
          f"{statistics.median(rates):.1f}  min {min(rates):.1f}  max {max(rates):.1f}")


if __name__ == "__main__":
    main()

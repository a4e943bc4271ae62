"""bench-report's HTML opened in a real browser (Debian's headless chromium):
the page renders, is not blank, and every plot and table is there, for a
complete file and for a sweep killed half way.

usage: /usr/bin/python3 report_browser_test.py SOURCE_DIR
       (BENCH_RUN and BENCH_REPORT in the environment)
"""
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from PIL import Image

SLOW_SUITE = """suite: slow
task: selftest
defaults: {steps: 60, sleep_ms: 5}
sweep: {grid: {step_std: [0.5, 1, 2]}, seeds: 3}
log_every: 5
"""


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("report_browser_test: chromium is not installed (apt-get install chromium; .ci/run does)")


def browser(*args):
    return subprocess.run([chromium(), "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", *args],
                          capture_output=True, text=True, timeout=120)


def killed_sweep(tmp):
    """A results file of a sweep killed with SIGKILL after a few runs."""
    suite = os.path.join(tmp, "slow.yaml")
    with open(suite, "w") as f:
        f.write(SLOW_SUITE)
    path = os.path.join(tmp, "killed.h5")
    proc = subprocess.Popen([os.environ["BENCH_RUN"], suite, "--jobs", "1", "--out", path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.05)
        # runs committed since the last fold are segments beside the file (results/SCHEMA.md)
        if len(glob.glob(path + ".runs/seg-*.h5")) >= 2:
            break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return path


def main():
    source = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        complete = os.path.join(tmp, "smoke.h5")
        subprocess.run([os.environ["BENCH_RUN"], os.path.join(source, "configs/matrix_sensing.yaml"), "--tier", "smoke",
                        "--out", complete], check=True, capture_output=True)
        # a width sweep long enough to log three epochs: its width x epoch heatmap
        widths = os.path.join(tmp, "widths.h5")
        subprocess.run([os.environ["BENCH_RUN"], os.path.join(source, "configs/double_descent_mlp.yaml"), "--tier", "smoke",
                        "--set", "epochs=50", "--out", widths], check=True, capture_output=True)
        partial = killed_sweep(tmp)
        out = os.path.join(tmp, "report")
        report = subprocess.run([os.environ["BENCH_REPORT"], complete, widths, partial, "--out", out],
                                check=True, capture_output=True, text=True)
        assert "planned runs are missing (status: running)" in report.stdout, report.stdout
        page = "file://" + os.path.join(out, "index.html")

        dom = browser("--dump-dom", page).stdout
        suites = re.findall(r'<section class="suite" data-suite="([^"]+)"', dom)
        assert suites == ["matrix_sensing", "double_descent_mlp", "slow"], suites
        plots = re.findall(r'<svg[^>]*class="plot"[^>]*data-plot="([^"]+)"', dom)
        expected = ["matrix_sensing/" + m for m in ["rel_error", "sv_1", "sv_2", "sv_3", "train_loss"]]
        expected += ["double_descent_mlp/sweep/final_test_error", "double_descent_mlp/sweep/final_train_error"]
        expected += ["double_descent_mlp/" + m for m in ["test_error", "train_error", "train_error_clean"]]
        expected += ["double_descent_mlp/heatmap/test_error", "double_descent_mlp/heatmap/train_error"]
        expected += ["slow/loss", "slow/position"]
        assert plots == expected, plots
        for svg in re.findall(r"<svg.*?</svg>", dom, re.S):
            if "/heatmap/" in svg[:300]:  # 2 widths x 3 logged epochs, and its colour scale
                assert svg.count('class="cell"') == 6, "a heatmap without its cells"
                assert svg.count('class="colorbar"') == 1, "a heatmap without a colour bar"
                continue
            assert svg.count('class="line"') >= 1, "a plot without a line"
            assert svg.count('class="series"') >= 1, "a plot without series"
        assert len(re.findall(r'<table class="points">', dom)) == 3
        assert len(re.findall(r'<table class="runs">', dom)) == 3
        # the step axes are in the task's units
        assert "step (iteration)" in dom and "step (epoch)" in dom, "axes without units"
        assert re.search(r'class="warn missing">\d+ of 9 planned runs did not finish', dom), "no missing-runs warning"

        shot = os.path.join(tmp, "shot.png")
        browser("--window-size=1400,3000", "--screenshot=" + shot, page)
        image = Image.open(shot).convert("L")
        pixels = list(image.getdata())
        inked = sum(1 for p in pixels if p < 200) / len(pixels)
        assert image.size == (1400, 3000), image.size
        assert inked > 0.01, f"the page looks blank: {inked:.4f} of pixels inked"
        assert len(set(Image.open(shot).convert("RGB").getdata())) > 50, "no colour: plots did not render"
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()

# The course's commands. Only Python >= 3.10 and make are needed: `uv` is
# installed into .tools/ when it is not on the PATH, and the environment
# (.venv/, from uv.lock) uses the system Python.

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := .tools/bin/uv
endif
VENV_PY := .venv/bin/python
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install lab test test-kernels bench checkpoints handout translations clean

help:
	@echo "make lab          install everything, then open JupyterLab on the course"
	@echo "make test         install everything, then run the whole test suite"
	@echo "make test-kernels the notebooks again on torch's other CPU kernels (default, avx2)"
	@echo "make checkpoints  regenerate data/: frozen scenes, trained models, manifest"
	@echo "make bench        measure the speed targets and print the figures"
	@echo "make handout      copies of the notebooks without outputs, in outputs/handout/ (solutions apart)"
	@echo "make translations extract the library's messages, update the Korean catalog, compile it"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv

install: $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --locked --python $(PYTHON)

# Jupyter refuses to run as root unless told; containers (and CI machines) often are root.
LAB_FLAGS := --ServerApp.ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root)

lab: install
	$(VENV_PY) -m jupyter lab $(LAB_FLAGS) notebooks/

# The options (test paths, nbval's) are in pyproject.toml's [tool.pytest.ini_options]: a bare `pytest` runs the same.
test: install
	$(VENV_PY) -m pytest

# The notebooks' checked numbers must not depend on the CPU. torch picks its vector kernels
# (AVX-512, AVX2, or portable "default" code) by the CPU it finds; ATEN_CPU_CAPABILITY forces a
# lower one, so one machine can stand in for others. `default` runs everywhere; `avx2` is worth a
# run where the machine's own choice is AVX-512 (otherwise `make test` has just run it).
# The Korean notebooks are left out here: their code cells are the English ones, cell for cell
# (tests/test_translation.py), so they compute the same numbers; `make test` runs them natively.
# nbval's options come from pyproject.toml, as for `make test`.
test-kernels: install
	@native=$$($(VENV_PY) -c "import torch; print(torch.backends.cpu.get_cpu_capability())"); \
	kernels="default"; if [ "$$native" = AVX512 ]; then kernels="default avx2"; fi; \
	echo "this CPU's own kernels: $$native; running the notebooks again with: $$kernels"; \
	for kernel in $$kernels; do \
		echo "== ATEN_CPU_CAPABILITY=$$kernel"; \
		ATEN_CPU_CAPABILITY=$$kernel $(VENV_PY) -m pytest -p no:cacheprovider -q \
			$$($(VENV_PY) -m course_utils.course --list | grep -v '^notebooks/ko/') || exit 1; \
	done

checkpoints: install
	$(VENV_PY) -m course_utils.train

bench: install
	$(UV) sync --locked --inexact --group bench --python $(PYTHON)
	$(VENV_PY) benchmarks/bench.py

# Learners' copies for a class: the same notebooks with every output cleared, so each cell's
# result appears only when it is run; sub-folders (ko/) keep their paths, and the worked
# solutions go to a separate folder, $(HANDOUT_DIR)-solutions, to hand out later. The course's own notebooks keep their outputs (nbval
# compares against them; GitHub shows them).
HANDOUT_DIR ?= outputs/handout
handout: install
	$(VENV_PY) -m course_utils.course --handout $(HANDOUT_DIR)

# The library's messages in Korean (course_utils/language.py): extract every tr("...") and
# tr_noop("...") of course_utils/ and course_checks/ into the template, merge it into the Korean
# catalog (new messages arrive empty, changed ones fuzzy: translate them, and remove the fuzzy
# flag), and compile the catalog to the .mo that gettext reads. tests/test_language.py runs the
# same extraction and fails while a message has no Korean translation or the .mo is stale.
PYBABEL := .venv/bin/pybabel
LOCALE_DIR := course_utils/locale
BABEL_EXTRACT := -F babel.cfg --no-default-keywords -k tr -k tr_noop --add-location=file --sort-by-file --add-comments=Translators: --project=course_utils --version=0.1.0
translations: install
	$(PYBABEL) extract $(BABEL_EXTRACT) -o $(LOCALE_DIR)/course_utils.pot .
	$(PYBABEL) update -D course_utils -i $(LOCALE_DIR)/course_utils.pot -d $(LOCALE_DIR) -l ko --ignore-obsolete
	$(PYBABEL) compile -D course_utils -d $(LOCALE_DIR) -l ko --statistics

clean:
	rm -rf .venv .tools .pytest_cache .hypothesis

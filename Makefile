# cinechat: `make run` (the chat in the browser) and `make test` do all the set-up themselves.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := ffmpeg espeak-ng fluidsynth timgm6mb-soundfont fonts-wqy-microhei fonts-dejavu-core fonts-noto-color-emoji libcairo2 chromium haproxy
STAMP := $(VENV)/.installed

.PHONY: load run test lint system venv clean bench sheet screenshot train eval

system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: system $(STAMP)

run: venv
	$(VENV)/bin/cinechat ui --host 127.0.0.1 --port $${PORT:-8000}

lint: venv
	$(VENV)/bin/ruff check graph nodes tools prompts tests bench chainlit_app.py
	$(VENV)/bin/ruff format --check graph nodes tools prompts tests bench chainlit_app.py
	$(VENV)/bin/mypy

# Two workers: the renders, servers and browsers of one overlap the waits of the other. By file
# (--dist loadfile): a module's tests run in order on one worker, because the browser and
# security tests share one server per module and read what earlier tests left. (pytest-xdist
# 3.8's loadgroup does not group on pytest 9 here: tried, the marks were ignored.)
test: venv lint
	$(VENV)/bin/python -m tools.train_intents --check
	$(VENV)/bin/pytest -q -n 2 --dist loadfile --durations=15

# The router's classifiers, trained on tools/data/corpus (scikit-learn, deterministic).
train: venv
	$(PY) -m tools.train_intents

# The router on held-out messages: per-intent precision/recall, confusion, slots.
eval: venv
	$(PY) bench/eval.py
	$(PY) bench/eval_drawing.py

bench: venv
	$(PY) bench/run.py --runs $${RUNS:-3}

# Load test on loopback (bench/load.py): 100, 500 and 1000 chat sessions sending simple turns at
# 50 per second, embedded (one process, SQLite) and scaled (WORKERS processes behind HAProxy,
# PostgreSQL), and a mixed run where 5% of the turns render; figures into bench/results.json.
load: venv
	$(PY) bench/load.py --mode embedded --mixed
	$(PY) bench/load.py --mode scaled --workers $${WORKERS:-2} --mixed

# The README's contact sheets: the seed project, and ten projects on varied topics (bench/topic_sheet.py), rendered in scratch databases, one frame per shot.
sheet: venv
	rm -rf /tmp/cinechat-sheet && mkdir -p /tmp/cinechat-sheet docs
	$(VENV)/bin/cinechat say --db /tmp/cinechat-sheet/db.sqlite --quiet "我想创建一个关于春天的30秒短视频，风格要温馨治愈" >/dev/null
	$(VENV)/bin/cinechat say --db /tmp/cinechat-sheet/db.sqlite --quiet "继续生成" >/dev/null
	$(VENV)/bin/cinechat sheet --db /tmp/cinechat-sheet/db.sqlite --out docs/seed-contact-sheet.png
	$(PY) bench/topic_sheet.py --out docs/topics-contact-sheet.png

# The README's chat screenshots: the browser test run with its screenshots copied to docs/.
screenshot: venv
	CINECHAT_SCREENSHOTS=docs $(VENV)/bin/pytest -q tests/test_browser.py -k "seed_dialogue or model_picker"

clean:
	rm -rf $(VENV) checkpoints/*.sqlite checkpoints/media

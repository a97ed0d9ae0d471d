#!/usr/bin/env bash
# What `npm test` runs: every vitest project (unit, then integration/e2e against a real Kafka
# broker that test/setup/global-kafka.ts starts and stops). Extra arguments go to vitest, e.g.
#   npm test -- --project integration test/integration/kafka
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# What the suite needs from the machine comes from Debian's packages when it is missing and we may
# install (root with apt-get: CI and fresh machines), so `npm test` needs no manual step. Otherwise
# the run stops here naming the packages, instead of failing later with a vaguer error or leaving
# a test out.
apt_updated=
install_debian_packages() {
  local why=$1
  shift
  if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "test/run-tests.sh: $why; missing Debian packages: $*" >&2
    echo "Not root with apt-get, so not installed here; as root: apt-get install --no-install-recommends $*" >&2
    exit 1
  fi
  echo "$why: installing $* from Debian's packages"
  if [[ -z $apt_updated ]] && ! apt-get update -q; then
    echo "test/run-tests.sh: apt-get update failed, so $* cannot be installed (see above)" >&2
    exit 1
  fi
  apt_updated=1
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" </dev/null; then
    echo "test/run-tests.sh: apt-get could not install $* (see above)" >&2
    exit 1
  fi
}

# The test broker runs on Java 17+; Maven fetches its jars.
if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
  install_debian_packages "the Kafka test broker needs java and mvn" openjdk-17-jre-headless maven
fi

# The browser test drives Debian's Chromium at the fixed path /usr/bin/chromium (never a
# downloaded browser) and shows Chinese text, which renders as boxes without a CJK font.
browser_tests=test/e2e/browser
has_cjk_font() {
  if command -v fc-list >/dev/null; then
    [[ -n "$(fc-list :lang=zh-cn family 2>/dev/null)" ]]
  else
    dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'install ok installed'
  fi
}
# Whether the vitest arguments may select the browser test, so that a run of other files (say
# `npm test -- --project unit`) never needs Chromium. Vitest runs the files under the paths it is
# given (all when none) in the projects named by --project (all when none); an argument is taken
# as a path when it exists under test/ or pipelines/. When in doubt the answer is yes.
selects_browser_tests() {
  local arg rel prev='' paths=0 hit='' projects=() project hit_project=''
  for arg in "$@"; do
    if [[ $prev == --project ]]; then
      projects+=("$arg")
    elif [[ $arg == --project=* ]]; then
      projects+=("${arg#--project=}")
    elif [[ $arg != -* && -e $arg ]]; then
      rel=$(realpath -m --relative-to=. -- "$arg")
      if [[ $rel == . || $rel == test || $rel == test/* || $rel == pipelines || $rel == pipelines/* ]]; then
        paths=$((paths + 1))
        # the path holds the browser tests, or is one of them
        [[ $rel == . || $browser_tests/ == "$rel"/* || $rel == "$browser_tests"/* ]] && hit=1
      fi
    fi
    prev=$arg
  done
  if ((${#projects[@]})); then
    for project in "${projects[@]}"; do
      # shellcheck disable=SC2053 # --project takes glob patterns, so the right side must not be quoted
      [[ integration == $project ]] && hit_project=1
    done
    [[ -n $hit_project ]] || return 1
  fi
  ((paths == 0)) || [[ -n $hit ]]
}
if selects_browser_tests "$@"; then
  missing=()
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  has_cjk_font || missing+=(fonts-noto-cjk)
  if ((${#missing[@]})); then
    install_debian_packages "the browser test ($browser_tests) needs chromium and CJK fonts" "${missing[@]}"
    [[ -x /usr/bin/chromium ]] || { echo "test/run-tests.sh: /usr/bin/chromium is still missing after installing chromium" >&2; exit 1; }
    has_cjk_font || { echo "test/run-tests.sh: still no CJK font after installing fonts-noto-cjk" >&2; exit 1; }
  fi
fi

# The broker's jars come from Maven Central once and are cached (test/kafka/fetch-jars.sh).
bash test/kafka/fetch-jars.sh

export KAFKAJS_NO_PARTITIONER_WARNING=1
mkdir -p .cache
results=.cache/test-results.json
rm -f "$results"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?

# One plain closing line with the counts, whatever reporter output came before it. It reads
# vitest's exit status too: a file that failed outside its tests (import error, failing
# beforeAll) or an unhandled error fails the run without failing a test, and the line must not
# then say `0 failed` (test/setup/closing-line.ts).
npx tsx test/setup/closing-line.ts "$results" "$status" || true
exit "$status"

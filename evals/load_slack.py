"""Slack under load: N signed events in a minute to the real bot over loopback HTTP, answered via a fake Slack.

    .venv/bin/python evals/load_slack.py --home DIR [--events 200] [--seconds 60] [--users 40] [--json]

Starts the real Bolt app behind `EventsServer` on 127.0.0.1 (signature checks
on) with `tests/fake_slack.py` as Slack's Web API, then sends `--events`
@-mentions spread evenly over `--seconds` from 8 sender threads, each a distinct
question event from one of `--users` people in one of four channels (every
tenth event is delivered twice, as Slack retries do: it must be answered once).
An event is answered when the "thinking…" reply in its thread is edited into an
answer (`not_understood` counts the replies that say what to ask instead). Reported: answers/s (answered events over the time from the first send
to the last answer), p50/p95/max latency from POST to answer, errors (HTTP
status other than 200, replies that are errors, unanswered events, duplicates
answered twice; must be 0) and the process's peak RSS (bot, fake Slack and
sender together). Everything is bounded: the run gives up `--grace` seconds
after the last send, and every server is stopped before it exits.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
import json
import resource
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fake_slack import BOT_USER_ID, TOKEN, FakeSlack  # noqa: E402
from ui.slack.bolt import build_app  # noqa: E402
from ui.slack.bot import THINKING  # noqa: E402
from ui.slack.policy import SlackPolicy  # noqa: E402
from ui.slack.serve import EventsServer  # noqa: E402
from warehouse.executor import Executor  # noqa: E402
from warehouse.settings import load_settings  # noqa: E402

SECRET = "load-test-signing-secret"
QUESTIONS = (
    "inference cost last week", "inference cost by feature last week", "daily inference cost this month",
    "top 5 models by inference cost last month", "cloud cost by service last month", "error rate by feature last week",
    "gpu cost by cluster last month", "requests by team this month",
)


class TimedFakeSlack(FakeSlack):
    """The fake Slack, noting when each thinking reply was posted (by thread) and when it was edited."""

    def __init__(self) -> None:
        super().__init__()
        self.thinking: dict[str, str] = {}  # reply ts -> thread root
        self.answered: dict[str, list[tuple[float, str]]] = {}  # thread root -> (time, text) of each answer
        self._times = threading.Lock()

    def handle(self, method: str, params: dict, token: str | None) -> dict:
        response = super().handle(method, params, token)
        now = time.monotonic()
        with self._times:
            if method == "chat.postMessage" and params.get("text") == THINKING and response.get("ok"):
                self.thinking[response["ts"]] = params["thread_ts"]
            elif method == "chat.update" and params.get("ts") in self.thinking:
                root = self.thinking[params["ts"]]
                self.answered.setdefault(root, []).append((now, params.get("text", "")))
        return response


def _signed(body: str) -> dict:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}", "Content-Type": "application/json"}


def _post(url: str, event: dict, event_id: str) -> int:
    body = json.dumps({"token": "legacy", "team_id": "T0FAKE", "api_app_id": "A0FINOPS", "type": "event_callback",
                       "event_id": event_id, "event_time": int(time.time()), "event": event,
                       "authorizations": [{"team_id": "T0FAKE", "user_id": BOT_USER_ID, "is_bot": True}]})
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers=_signed(body))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return -1


def run(home: Path, events: int, seconds: float, users: int, grace: float) -> dict:
    base = load_settings(environ={"FINOPS_HOME": str(home)}, config_path=None)
    stamps = itertools.count(1)
    with TimedFakeSlack() as fake, Executor(base) as executor:
        settings = base.model_copy(update={"slack_bot_token": TOKEN, "slack_signing_secret": SECRET,
                                           "slack_api_url": fake.api_url})
        app = build_app(settings, executor, policy=SlackPolicy(rate_limit_per_minute=60))
        with EventsServer(app) as server, ThreadPoolExecutor(8) as senders:
            sent: dict[str, float] = {}
            statuses: list[int] = []
            lock = threading.Lock()
            start = time.monotonic()

            def send(i: int) -> None:
                time.sleep(max(0.0, start + i * seconds / events - time.monotonic()))
                ts = f"1770000000.{next(stamps):06d}"
                event = {"type": "app_mention", "user": f"U{i % users:04d}", "channel": f"C0LOAD{i % 4}", "ts": ts,
                         "event_ts": ts, "text": f"<@{BOT_USER_ID}> {QUESTIONS[i % len(QUESTIONS)]}"}
                with lock:
                    sent[ts] = time.monotonic()
                codes = [_post(server.url, event, f"Ev{i:06d}")]
                if i % 10 == 0:  # Slack's retry of the same event
                    codes.append(_post(server.url, event, f"Ev{i:06d}"))
                with lock:
                    statuses.extend(codes)

            list(senders.map(send, range(events)))
            last_send = time.monotonic()
            deadline = last_send + grace
            while time.monotonic() < deadline and len(fake.answered) < len(sent):
                time.sleep(0.05)
            time.sleep(0.5)  # a duplicate answer would come now
        answered = {root: times for root, times in fake.answered.items() if root in sent}
        latencies = sorted(times[0][0] - sent[root] for root, times in answered.items())
        failed = [root for root, times in answered.items() if any(text.startswith(":warning:") or "Slow down" in text
                                                                  for _, text in times)]
        twice = [root for root, times in answered.items() if len(times) > 1]
        bad_status = [s for s in statuses if s != 200]
        end = max((times[0][0] for times in answered.values()), default=start)
        return {
            "events": events, "seconds": seconds, "deliveries": len(statuses), "answered": len(answered),
            "not_understood": sum(times[0][1].startswith(":bulb:") for times in answered.values()),
            "answers_per_s": round(len(answered) / (end - start), 2) if end > start else 0.0,
            "latency_p50_s": round(statistics.median(latencies), 3) if latencies else None,
            "latency_p95_s": round(latencies[max(0, int(0.95 * len(latencies)) - 1)], 3) if latencies else None,
            "latency_max_s": round(latencies[-1], 3) if latencies else None,
            "errors": len(bad_status) + len(failed) + len(twice) + (events - len(answered)),
            "error_detail": {"http_not_200": len(bad_status), "error_replies": len(failed),
                             "answered_twice": len(twice), "unanswered": events - len(answered)},
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="FINOPS_HOME of a loaded warehouse (a copy: the bot "
                                                                  "writes its state there)")
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--grace", type=float, default=180.0, help="seconds to wait for answers after the last send")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run(args.home, args.events, args.seconds, args.users, args.grace)
    print(json.dumps(report, indent=None if args.json else 2))
    sys.exit(0 if report["errors"] == 0 else 1)


if __name__ == "__main__":
    main()

"""Acme AI, the made-up company of the demo: its models, product features and GPU fleet.

Prices are real list prices in USD per million tokens. The self-hosted
`llama-3.1-70b` is priced at zero: its requests log `cost_usd = 0` because its
real cost is the GPU nodes serving it, in `gpu_usage` (and the EC2 lines of
`billing`); charging it again per token would count that money twice.

Per-request dollars come from realistic 2026 prompt shapes rather than from
prices: RAG features send their retrieved context (support-chat ~6.5k input
tokens), the agents (code-review, data-copilot) make several tool-calling turns
per user action whose context grows to 10-20k tokens, document-analysis runs
on the top model, and near-free embedding calls are a minority of the rows.

>>> FEATURES[FEATURE_INDEX["document-analysis"]].team
'docs-ai'
"""

from __future__ import annotations

from dataclasses import dataclass

TEAMS = ("docs-ai", "cx", "devtools", "search", "growth", "platform")
ENVIRONMENTS = ("prod", "staging", "dev")
STATUSES = ("ok", "error", "timeout", "rate_limited")
USER_COUNT = 2000


@dataclass(frozen=True)
class Model:
    """One model a provider serves, with its price and latency profile."""

    name: str
    provider: str
    operation: str
    tier: str
    input_usd_per_mtok: float
    cached_input_usd_per_mtok: float | None
    output_usd_per_mtok: float
    first_token_ms: float
    ms_per_output_token: float


MODELS: tuple[Model, ...] = (
    Model("gpt-4o", "openai", "chat", "large", 2.50, 1.25, 10.00, 450.0, 11.0),
    Model("gpt-4o-mini", "openai", "chat", "small", 0.15, 0.075, 0.60, 300.0, 7.0),
    Model("text-embedding-3-small", "openai", "embeddings", "small", 0.02, None, 0.0, 60.0, 0.0),
    Model("claude-opus-4", "anthropic", "chat", "large", 15.00, 1.50, 75.00, 1100.0, 26.0),
    Model("claude-sonnet-4", "anthropic", "chat", "large", 3.00, 0.30, 15.00, 700.0, 14.0),
    Model("claude-haiku-4", "anthropic", "chat", "small", 0.80, 0.08, 4.00, 350.0, 6.0),
    Model("llama-3.1-70b", "self-hosted", "chat", "medium", 0.0, 0.0, 0.0, 250.0, 18.0),
)
MODEL_INDEX = {model.name: i for i, model in enumerate(MODELS)}

# The one price change inside the range: Anthropic cuts claude-haiku-4 to the
# price listed above; before the cut it cost this much.
PRICE_CUT_MODEL = "claude-haiku-4"
PRICE_BEFORE_CUT = (1.00, 0.10, 5.00)


@dataclass(frozen=True)
class Feature:
    """A product feature calling models, with its traffic share and prompt shape.

    `share` is the feature's share of user actions. Token means are per request;
    sigmas are of the lognormal's log. `cached_share` is the static prefix
    (system prompt, tool definitions) read from the provider's prompt cache.
    `repeat_rate` is the share of actions sending a popular prompt verbatim
    (cacheable repeats). `alt_model` takes `alt_share` of the feature's actions.

    Agents make `turns_mean` LLM calls per action on average: after each call a
    tool runs and its result (`tool_tokens_mean` tokens) and the call's output
    join the context of the next call. `context_cache_rate` is the chance a
    later turn reads that earlier context from the prompt cache (OpenAI caches
    repeated prefixes by itself; Anthropic only where the app sets breakpoints).
    """

    name: str
    team: str
    model: str
    share: float
    input_mean: float
    input_sigma: float
    output_mean: float
    output_sigma: float
    cached_share: float
    repeat_rate: float
    fail_rate: float
    env_shares: tuple[float, float, float] = (0.92, 0.05, 0.03)
    alt_model: str | None = None
    alt_share: float = 0.0
    turns_mean: float = 1.0
    tool_tokens_mean: float = 0.0
    tool_tokens_sigma: float = 0.7
    context_cache_rate: float = 0.0


FEATURES: tuple[Feature, ...] = (
    # Contract and filing analysis on the top model: retrieved clauses (~3.1k tokens) in, findings out.
    Feature("document-analysis", "docs-ai", "claude-opus-4", 0.25, 3100, 0.45, 320, 0.5, 0.15, 0.04, 0.02),
    # Whole documents in, a summary out; cheap on gpt-4o-mini (until the model switch).
    Feature("summarize", "docs-ai", "gpt-4o-mini", 0.12, 12000, 0.60, 600, 0.4, 0.10, 0.15, 0.015),
    # RAG support bot: 5-7k tokens of retrieved help-center context; simple questions go to Haiku.
    Feature(
        "support-chat", "cx", "claude-sonnet-4", 0.30, 6500, 0.30, 260, 0.6, 0.35, 0.25, 0.03,
        alt_model="claude-haiku-4", alt_share=0.3,
    ),
    # PR review agent: reads the diff, calls tools to open files and run checks, ~5 turns with
    # extended thinking; no cache breakpoints on the conversation, so only the system prompt is cached.
    Feature(
        "code-review", "devtools", "claude-sonnet-4", 0.085, 9000, 0.50, 1300, 0.5, 0.25, 0.02, 0.02,
        alt_model="llama-3.1-70b", alt_share=0.15, turns_mean=5.0, tool_tokens_mean=2500,
    ),
    Feature(
        "search-rerank", "search", "text-embedding-3-small", 0.11, 350, 0.50, 0, 0.0, 0.0, 0.45, 0.005,
        env_shares=(0.96, 0.03, 0.01),
    ),
    Feature("email-drafts", "growth", "gpt-4o-mini", 0.07, 1500, 0.40, 420, 0.4, 0.25, 0.05, 0.01),
    # Text-to-SQL agent: schema docs and examples, then SQL results fed back over ~4 turns.
    Feature(
        "data-copilot", "platform", "gpt-4o", 0.10, 8000, 0.50, 450, 0.5, 0.35, 0.12, 0.02,
        turns_mean=4.0, tool_tokens_mean=2500, tool_tokens_sigma=0.8, context_cache_rate=0.6,
    ),
)
FEATURE_INDEX = {feature.name: i for i, feature in enumerate(FEATURES)}

# Incident actors.
PROMPT_GROWTH_FEATURE = "document-analysis"
PROMPT_GROWTH_FACTOR = 2.4
RETRY_STORM_FEATURE = "support-chat"
RETRY_STORM_FAIL_RATE = 0.30
MODEL_SWITCH_FEATURE = "summarize"
MODEL_SWITCH_TO = "gpt-4o"
BUDGET_BREACH_TEAM = "docs-ai"
# Per-request cost ceilings (budgets' max_cost_per_request_usd): each sits between the
# feature's cost per request before its incident and after it.
UNIT_COST_CEILINGS = {"document-analysis": 0.09, "summarize": 0.004}


@dataclass(frozen=True)
class GpuNode:
    """A GPU node of the self-hosted fleet; `hourly_usd` is its effective (amortized) rate."""

    node_id: str
    cluster: str
    region: str
    zone: str
    gpu_type: str
    gpu_count: int
    instance_type: str
    hourly_usd: float
    list_hourly_usd: float
    deployment: str
    team: str
    util_mean: float
    util_swing: float
    peak_hour_utc: int
    mem_util: float


def _h100(n: int, deployment: str, util: float) -> GpuNode:
    # p5.48xlarge: $98.32/h on demand; a 3-year Compute Savings Plan brings it to $58.99/h.
    return GpuNode(
        f"prod-h100-{n:02d}", "gpu-prod-us-east", "us-east-1", "us-east-1a", "H100", 8,
        "p5.48xlarge", 58.99, 98.32, deployment, "platform", util, 14.0, 19, 91.0,
    )


def _a100(n: int) -> GpuNode:
    # p4d.24xlarge on demand; batch embedding jobs peak at night (UTC morning).
    return GpuNode(
        f"batch-a100-{n:02d}", "gpu-batch-us-west", "us-west-2", "us-west-2b", "A100", 8,
        "p4d.24xlarge", 32.77, 32.77, "embed-batch", "search", 66.0, 16.0, 8, 62.0,
    )


def _l4(n: int) -> GpuNode:
    return GpuNode(
        f"batch-l4-{n:02d}", "gpu-batch-us-west", "us-west-2", "us-west-2b", "L4", 1,
        "g6.xlarge", 0.8048, 0.8048, "rerank-small", "search", 58.0, 18.0, 19, 74.0,
    )


# One p5 node serves llama-3.1-70b in production and one runs staging; a p4d
# pair runs the batch embedding jobs and a few L4s serve the small reranker.
GPU_NODES: tuple[GpuNode, ...] = (
    _h100(1, "llama-3.1-70b-prod", 64.0),
    _h100(2, "llama-3.1-70b-staging", 32.0),
    *(_a100(n) for n in range(1, 3)),
    *(_l4(n) for n in range(1, 5)),
)
GPU_TEAM = "platform"

# The idle-GPU incident: a rollout moves the batch jobs off these nodes and leaves them up,
# and the staging node is left serving a forgotten canary.
IDLE_UNALLOCATED_NODES = ("batch-a100-02", "batch-l4-04")
IDLE_CANARY_NODE = "prod-h100-02"
IDLE_CANARY_DEPLOYMENT = "llama-3.1-70b-v2-canary"

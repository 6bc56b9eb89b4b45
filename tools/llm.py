"""The optional LLM, made through LangChain's `init_chat_model`, so any provider LangChain
supports works by settings alone (an OpenAI-compatible server such as vLLM or Ollama's
`/v1`, OpenAI, Ollama's own API, Anthropic, ...; the provider's integration package must be
installed, `langchain-openai` is). Imported lazily, so the offline path never pays for it.

Settings (environment variables):
- `CINECHAT_LLM_PROVIDER`: a LangChain provider name, default `openai` (any OpenAI-compatible
  endpoint);
- `CINECHAT_LLM_MODEL` (or `CINECHAT_MODEL`): the model name, default `gpt-4o-mini`;
- `CINECHAT_LLM_BASE_URL` (or `OPENAI_BASE_URL`): the endpoint;
- `CINECHAT_LLM_API_KEY` (or `OPENAI_API_KEY`): the key; none is needed for a keyless local
  server named by `CINECHAT_LLM_BASE_URL` or for the `ollama` provider;
- `CINECHAT_LLM_TEMPERATURE` (0.2), `CINECHAT_LLM_TIMEOUT` (30 s), `CINECHAT_LLM_RETRIES` (0).

Every call is tagged `nostream`, so a graph streamed with `stream_mode="messages"` (what
LangGraph Studio and Agent Chat UI use) shows the replies, not the raw JSON of internal calls."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tools.breaker import breaker

NOSTREAM = "nostream"  # LangGraph's tag for model calls left out of the messages stream
KEYLESS_PROVIDERS = {"ollama"}


def _env(*names: str, default: str = "") -> str:
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return default


@dataclass(frozen=True)
class Provider:
    """The configured chat model: provider, model, endpoint, key and call settings."""

    provider: str
    model: str
    base_url: str
    api_key: str
    temperature: float
    timeout: float
    retries: int


def provider_settings(model: str | None = None) -> Provider:
    """The LLM settings from the environment (`model` overrides the model name)."""
    return Provider(
        provider=_env("CINECHAT_LLM_PROVIDER", default="openai"),
        model=model or _env("CINECHAT_LLM_MODEL", "CINECHAT_MODEL", default="gpt-4o-mini"),
        base_url=_env("CINECHAT_LLM_BASE_URL", "OPENAI_BASE_URL"),
        api_key=_env("CINECHAT_LLM_API_KEY", "OPENAI_API_KEY"),
        temperature=float(_env("CINECHAT_LLM_TEMPERATURE", default="0.2")),
        timeout=float(_env("CINECHAT_LLM_TIMEOUT", default="30")),
        retries=int(_env("CINECHAT_LLM_RETRIES", default="0")),
    )


def configured() -> bool:
    """Whether a provider is configured: a key, a keyless local endpoint named by
    CINECHAT_LLM_BASE_URL, or a provider that needs no key (Ollama)."""
    p = provider_settings()
    return bool(p.api_key or os.environ.get("CINECHAT_LLM_BASE_URL") or p.provider in KEYLESS_PROVIDERS)


@lru_cache(maxsize=8)
def _chat_model(p: Provider) -> Any:
    from langchain.chat_models import init_chat_model

    kwargs: dict[str, Any] = {"temperature": p.temperature, "timeout": p.timeout, "max_retries": p.retries}
    if p.base_url:
        kwargs["base_url"] = p.base_url
    if p.api_key:
        kwargs["api_key"] = p.api_key
    elif p.provider == "openai":  # a keyless OpenAI-compatible server: the client insists on a key
        kwargs["api_key"] = "not-needed"
    return init_chat_model(p.model, model_provider=p.provider, **kwargs).with_config(tags=[NOSTREAM])


def reset() -> None:
    """Forget the models made so far (after the settings change)."""
    _chat_model.cache_clear()


def chat_model(model: str | None = None) -> Any:
    """The chat model (made once per settings), tagged so its tokens do not stream."""
    return _chat_model(provider_settings(model))


def structured(schema: type, model: str | None, system: str, user: str) -> Any:
    """Ask the model for an instance of `schema`; raises on any provider or parse failure."""
    llm = _chat_model(provider_settings(model))
    runnable = llm.with_structured_output(schema, method="json_schema").with_config(tags=[NOSTREAM])
    result = breaker("llm").call(runnable.invoke, [("system", system), ("human", user)])
    if not isinstance(result, schema):
        raise ValueError("the model returned no structured answer")
    return result


def chat_text(model: str | None, system: str, user: str) -> str:
    """A plain text answer from the model; raises on any provider failure."""
    answer = breaker("llm").call(
        _chat_model(provider_settings(model)).invoke, [("system", system), ("human", user)]
    )
    text = answer.content if isinstance(answer.content, str) else str(answer.content)
    if not text.strip():
        raise ValueError("the model returned an empty answer")
    return text.strip()

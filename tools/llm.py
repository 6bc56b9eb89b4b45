"""The optional LLM: an OpenAI-compatible chat model through langchain-openai, made only when
OPENAI_API_KEY is set, imported lazily so the offline path never pays for it."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any


def configured() -> bool:
    """Whether an OpenAI-compatible provider is configured."""
    return bool(os.environ.get("OPENAI_API_KEY"))


@lru_cache(maxsize=4)
def chat_model(model: str, base_url: str | None, timeout: float = 30.0) -> Any:
    """A ChatOpenAI client (made once per model and endpoint, no hidden retries)."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model=model, base_url=base_url, timeout=timeout, max_retries=0, temperature=0.2)


def structured(schema: type, model: str, system: str, user: str) -> Any:
    """Ask the model for an instance of `schema`; raises on any provider or parse failure."""
    llm = chat_model(
        model, os.environ.get("OPENAI_BASE_URL") or None, float(os.environ.get("CINECHAT_LLM_TIMEOUT", "30"))
    )
    runnable = llm.with_structured_output(schema, method="json_schema")
    result = runnable.invoke([("system", system), ("human", user)])
    if not isinstance(result, schema):
        raise ValueError("the model returned no structured answer")
    return result


def chat_text(model: str, system: str, user: str) -> str:
    """A plain text answer from the model; raises on any provider failure."""
    llm = chat_model(
        model, os.environ.get("OPENAI_BASE_URL") or None, float(os.environ.get("CINECHAT_LLM_TIMEOUT", "30"))
    )
    answer = llm.invoke([("system", system), ("human", user)])
    text = answer.content if isinstance(answer.content, str) else str(answer.content)
    if not text.strip():
        raise ValueError("the model returned an empty answer")
    return text.strip()

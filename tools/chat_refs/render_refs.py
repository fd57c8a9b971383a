#!/usr/bin/env python3
"""Renders the chat-template fixtures with Python's jinja2 exactly as Hugging Face
transformers does, and writes the results as the references the C++ tests compare
against byte for byte (tests/data/templates/refs.json).

  python3 tools/chat_refs/render_refs.py            # rewrite the references
  python3 tools/chat_refs/render_refs.py --check    # fail if they are stale

The environment mirrors transformers' _compile_jinja_template: an
ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks, loopcontrols and
the {% generation %} tag,
raise_exception, strftime_now and transformers' own tojson (no key sorting, no
HTML escaping, ensure_ascii=False). strftime_now reads a fixed date so the
references do not change from day to day. As transformers does, `tools` and
`documents` are always passed (None when the request has none).
"""
import argparse
import datetime
import json
import os
import sys

import jinja2
import jinja2.ext
import jinja2.sandbox

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATES = os.path.join(ROOT, "tests", "data", "templates")
REFS = os.path.join(TEMPLATES, "refs.json")
SNIPPETS = os.path.join(ROOT, "tools", "chat_refs", "snippets.json")
SNIPPET_REFS = os.path.join(TEMPLATES, "snippet_refs.json")

# The date strftime_now reports (the C++ tests inject the same one).
FIXED_NOW = datetime.datetime(2024, 7, 26, 14, 5, 9)


class GenerationTag(jinja2.ext.Extension):
    """transformers' AssistantTracker as it renders when nobody asks for the
    assistant mask: {% generation %}...{% endgeneration %} is its body, run as
    a call block."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render"), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def make_environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return FIXED_NOW.strftime(fmt)

    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city, e.g. Paris"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}

TOOL_CALL = {"id": "call12345", "type": "function",
             "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}

CONVERSATIONS = {
    "system_multi_turn": {"messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi there! How can I help?"},
        {"role": "user", "content": "What is 2 + 2?"},
    ]},
    "no_system": {"messages": [
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi there!"},
        {"role": "user", "content": "Tell me a joke."},
    ]},
    "single_user": {"messages": [{"role": "user", "content": "Say hi."}]},
    "ends_with_assistant": {"messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Capital of France?"},
        {"role": "assistant", "content": "Paris."},
    ]},
    # Whitespace a template may trim, quotes, a newline, non-ASCII text and an emoji.
    "awkward_text": {"messages": [
        {"role": "user", "content": "  Quote \"this\" and 'that'\nnew line: caf\u00e9 \u65e5\u672c \U0001F600  "},
        {"role": "assistant", "content": "\n  Done\t"},
        {"role": "user", "content": "{{ not a template }} {% neither %}"},
    ]},
    # Roles out of order: templates that check alternation raise_exception.
    "bad_alternation": {"messages": [
        {"role": "user", "content": "one"},
        {"role": "user", "content": "two"},
    ]},
    "tool_call": {"tools": [WEATHER_TOOL], "messages": [
        {"role": "system", "content": "You can check the weather."},
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [TOOL_CALL]},
        {"role": "tool", "tool_call_id": "call12345", "name": "get_weather",
         "content": "{\"temperature\": 22, \"unit\": \"celsius\"}"},
        {"role": "assistant", "content": "It is 22 \u00b0C in Paris."},
        {"role": "user", "content": "Thanks!"},
    ]},
    "tools_offered": {"tools": [WEATHER_TOOL], "messages": [
        {"role": "user", "content": "Is it raining in Oslo?"},
    ]},
    "reasoning": {"messages": [
        {"role": "user", "content": "What is 7 * 6?"},
        {"role": "assistant", "content": "42", "reasoning_content": "7 times 6 is 42."},
        {"role": "user", "content": "And 6 * 9?"},
        {"role": "assistant", "content": "<think>\n6 times 9 is 54.\n</think>\n\n54"},
    ]},
    "reasoning_inline": {"messages": [
        {"role": "user", "content": "Think first: 3 + 4?"},
        {"role": "assistant", "content": "<think>\nAdd them.\n</think>\n\n7"},
        {"role": "user", "content": "Now 5 + 5?"},
    ]},
}

# Also rendered with add_generation_prompt=False (every conversation is with True).
WITHOUT_GENERATION_PROMPT = ["system_multi_turn", "ends_with_assistant", "tool_call", "reasoning"]

# Template fixture -> (bos_token, eos_token).
BOS_EOS = {
    "chatml": ("<s>", "<|im_end|>"),
    "llama2": ("<s>", "</s>"),
    "llama3": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama3.1": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama3.2": ("<|begin_of_text|>", "<|eot_id|>"),
    "mistral-v1": ("<s>", "</s>"),
    "mixtral": ("<s>", "</s>"),
    "mistral-v3": ("<s>", "</s>"),
    "mistral-v3-tekken": ("<s>", "</s>"),
    "mistral-v7": ("<s>", "</s>"),
    "mistral-small-3.2": ("<s>", "</s>"),
    "qwen2": ("", "<|im_end|>"),
    "qwen2.5": ("", "<|im_end|>"),
    "qwen3": ("", "<|im_end|>"),
    "qwq": ("", "<|im_end|>"),
    "gemma": ("<bos>", "<eos>"),
    "gemma2": ("<bos>", "<eos>"),
    "gemma3": ("<bos>", "<eos>"),
    "phi3": ("<s>", "<|endoftext|>"),
    "phi3.5": ("<s>", "<|endoftext|>"),
    "phi4": ("<|endoftext|>", "<|im_end|>"),
    "glm4": ("", "<|endoftext|>"),
    "glm4.6": ("", "<|endoftext|>"),
    "deepseek-coder": ("<\uff5cbegin\u2581of\u2581sentence\uff5c>", "<|EOT|>"),
    "deepseek-v2": ("<\uff5cbegin\u2581of\u2581sentence\uff5c>", "<\uff5cend\u2581of\u2581sentence\uff5c>"),
    "deepseek-r1-distill": ("<\uff5cbegin\u2581of\u2581sentence\uff5c>", "<\uff5cend\u2581of\u2581sentence\uff5c>"),
    "deepseek-v3.1": ("<\uff5cbegin\u2581of\u2581sentence\uff5c>", "<\uff5cend\u2581of\u2581sentence\uff5c>"),
    "zephyr": ("<s>", "</s>"),
    "vicuna": ("<s>", "</s>"),
}

# More templates, from other families, for the interpreter's coverage (tool
# calls in many styles, macros, Markup, {% generation %}): fewer cases each.
EXTRA_TEMPLATES = {
    "functionary-v3.1": ("<|begin_of_text|>", "<|eot_id|>"),
    "hermes-3-tool-use": ("<|begin_of_text|>", "<|im_end|>"),
    "command-r7b-tool-use": ("<BOS_TOKEN>", "<|END_OF_TURN_TOKEN|>"),
    "gpt-oss": ("<|startoftext|>", "<|return|>"),
    "qwen3-coder": ("", "<|im_end|>"),
    "granite-4.0": ("", "<|end_of_text|>"),
    "kimi-k2": ("", "<|im_end|>"),
    "lfm2.5": ("<|startoftext|>", "<|im_end|>"),
    "smollm3": ("", "<|im_end|>"),
}
EXTRA_CONVERSATIONS = ["system_multi_turn", "no_system", "tool_call", "reasoning"]

# Extra template variables some families read (each gives one more case).
EXTRA_VARIABLES = {
    "qwen3": [{"enable_thinking": False}],
    "glm4.6": [{"enable_thinking": False}],
    "deepseek-v3.1": [{"thinking": True}],
    "llama3.1": [{"builtin_tools": ["wolfram_alpha", "code_interpreter"]}, {"tools_in_user_message": False}],
    "llama3.2": [{"date_string": "01 Jan 2025"}],
}


def render_case(env, source, conversation, add_generation_prompt, bos, eos, extra):
    variables = dict(messages=conversation["messages"], tools=conversation.get("tools"), documents=None,
                     add_generation_prompt=add_generation_prompt, bos_token=bos, eos_token=eos)
    variables.update(extra)
    try:
        return {"output": env.from_string(source).render(**variables)}
    except jinja2.exceptions.TemplateSyntaxError as e:
        raise SystemExit(f"fixture does not parse: {e}")
    except jinja2.exceptions.UndefinedError as e:
        return {"error": str(e), "error_kind": "undefined"}
    except jinja2.exceptions.TemplateError as e:
        # raise_exception raises a bare TemplateError; its message is the template's.
        kind = "raise_exception" if type(e) is jinja2.exceptions.TemplateError else "other"
        return {"error": str(e), "error_kind": kind}
    except Exception as e:  # TypeError and the like, from Python itself
        return {"error": f"{type(e).__name__}: {e}", "error_kind": "other"}


def template_refs(env):
    cases = []
    for name in sorted(BOS_EOS) + sorted(EXTRA_TEMPLATES):
        with open(os.path.join(TEMPLATES, name + ".jinja"), encoding="utf-8", newline="") as f:
            source = f.read()
        if name in EXTRA_TEMPLATES:
            bos, eos = EXTRA_TEMPLATES[name]
            runs = [(conv, True, {}) for conv in EXTRA_CONVERSATIONS]
        else:
            bos, eos = BOS_EOS[name]
            runs = [(conv, True, {}) for conv in CONVERSATIONS]
            runs += [(conv, False, {}) for conv in WITHOUT_GENERATION_PROMPT]
        runs += [("reasoning_inline" if "thinking" in str(extra) else "tool_call" if "tools" in str(extra)
                  or "builtin" in str(extra) else "system_multi_turn", True, extra)
                 for extra in EXTRA_VARIABLES.get(name, [])]
        for conv, agp, extra in runs:
            case = {"template": name, "conversation": conv, "add_generation_prompt": agp,
                    "bos_token": bos, "eos_token": eos, "extra": extra}
            case.update(render_case(env, source, CONVERSATIONS[conv], agp, bos, eos, extra))
            cases.append(case)
    return {"jinja2": jinja2.__version__, "now": FIXED_NOW.isoformat(), "conversations": CONVERSATIONS,
            "cases": cases}


def snippet_refs(env):
    """Small templates for the interpreter's unit tests, each rendered by jinja2."""
    with open(SNIPPETS, encoding="utf-8") as f:
        snippets = json.load(f)
    out = []
    for s in snippets:
        variables = s.get("variables", {})
        entry = {"template": s["template"], "variables": variables}
        try:
            entry["output"] = env.from_string(s["template"]).render(**variables)
        except jinja2.exceptions.TemplateSyntaxError as e:
            entry["error"] = f"syntax: {e.message}"
        except Exception as e:
            entry["error"] = f"{type(e).__name__}: {e}"
        out.append(entry)
    return {"jinja2": jinja2.__version__, "snippets": out}


def dump(value):
    return json.dumps(value, indent=1, ensure_ascii=False) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files instead of writing")
    args = parser.parse_args()
    env = make_environment()
    outputs = {REFS: dump(template_refs(env))}
    if os.path.exists(SNIPPETS):
        outputs[SNIPPET_REFS] = dump(snippet_refs(env))
    stale = []
    for path, text in outputs.items():
        if args.check:
            with open(path, encoding="utf-8", newline="") as f:
                if f.read() != text:
                    stale.append(path)
        else:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
    if stale:
        sys.exit("stale: " + ", ".join(stale))


if __name__ == "__main__":
    main()

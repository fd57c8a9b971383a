// The official openai npm client against a running `rocmforge serve`:
// models, completions and chat, each whole and streamed, and an error.
// Usage: node openai_client.mjs BASE_URL API_KEY. Prints one JSON object of
// what came back; openai_e2e_test.cpp checks it. Exits 1 on any failure.
import OpenAI from 'openai';

const [baseURL, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey, maxRetries: 0, timeout: 60_000 });
const out = {};

const models = await client.models.list();
out.models = models.data.map((m) => m.id);
const model = out.models[0];
const prompt = 'Once upon a time';

const completion = await client.completions.create({ model, prompt, max_tokens: 16, temperature: 0 });
out.completion = {
  object: completion.object,
  text: completion.choices[0].text,
  finish_reason: completion.choices[0].finish_reason,
  usage: completion.usage,
};

let text = '';
let finish = null;
const completionStream = await client.completions.create({ model, prompt, max_tokens: 16, temperature: 0, stream: true });
for await (const chunk of completionStream) {
  text += chunk.choices[0]?.text ?? '';
  finish = chunk.choices[0]?.finish_reason ?? finish;
}
out.completion_stream = { text, finish_reason: finish };

const messages = [
  { role: 'system', content: 'You tell stories.' },
  { role: 'user', content: 'Tell me about a cat.' },
];
const chat = await client.chat.completions.create({ model, messages, max_tokens: 12, temperature: 0 });
out.chat = {
  object: chat.object,
  role: chat.choices[0].message.role,
  content: chat.choices[0].message.content,
  finish_reason: chat.choices[0].finish_reason,
  usage: chat.usage,
};

let content = '';
let chatFinish = null;
let usage = null;
let role = null;
const chatStream = await client.chat.completions.create({
  model, messages, max_completion_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true },
});
for await (const chunk of chatStream) {
  if (chunk.usage) usage = chunk.usage;
  const choice = chunk.choices[0];
  if (!choice) continue;
  role = choice.delta.role ?? role;
  content += choice.delta.content ?? '';
  chatFinish = choice.finish_reason ?? chatFinish;
}
out.chat_stream = { role, content, finish_reason: chatFinish, usage };

try {
  await client.completions.create({ model, prompt, temperature: 5 });
  out.error = null;
} catch (e) {
  out.error = { status: e.status, type: e.type, param: e.param, code: e.code ?? null, message: e.message };
}

console.log(JSON.stringify(out));

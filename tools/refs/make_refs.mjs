// Greedy references from llama.cpp (the prebuilt library node-llama-cpp
// ships), for tests that compare our outputs with llama.cpp's.
//
//   npm install --ignore-scripts node-llama-cpp@3.21.1   (NODE_LLAMA_CPP_SKIP_DOWNLOAD=true)
//   node tools/refs/make_refs.mjs --model M.gguf --prompt "text" [--prompt ...] [--n 64] [--top 10]
//
// Prints one JSON object per prompt on stdout: the prompt ids (BOS as the
// model's metadata says), the greedy ids (ignoring end of sequence), and at
// each step the `top` most likely tokens with their log-probabilities.
// Runs on the CPU with one thread (llama.cpp is deterministic that way) and
// flash attention on, as llama.cpp's own tools resolve it on the CPU
// (node-llama-cpp would leave it off for Gemma 2).
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

function parseArgs(argv) {
  const args = {prompts: [], n: 64, top: 10, ctx: 2048};
  for (let i = 2; i < argv.length; i += 2) {
    const [key, value] = [argv[i], argv[i + 1]];
    if (key === "--model") args.model = value;
    else if (key === "--prompt") args.prompts.push(value);
    else if (key === "--n") args.n = Number(value);
    else if (key === "--top") args.top = Number(value);
    else if (key === "--ctx") args.ctx = Number(value);
    else throw new Error(`unknown argument ${key}`);
  }
  if (!args.model || args.prompts.length === 0) throw new Error("need --model and at least one --prompt");
  return args;
}

const args = parseArgs(process.argv);
const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath: args.model, gpuLayers: 0});

for (const prompt of args.prompts) {
  const context = await model.createContext({contextSize: args.ctx, threads: 1, batchSize: 512, flashAttention: true});
  const sequence = context.getSequence();
  const promptIds = model.tokenize(prompt, true);
  if (model.tokens.shouldPrependBosToken && model.tokens.bos != null) promptIds.unshift(model.tokens.bos);
  const greedy = [];
  const top = [];
  let input = promptIds;
  for (let step = 0; step < args.n; ++step) {
    const iterator = sequence.evaluateWithMetadata(input, {probabilities: true}, {temperature: 0});
    const {value} = await iterator.next();
    await iterator.return();
    const ranked = [...value.probabilities.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    top.push(ranked.slice(0, args.top).map(([id, p]) => ({id, logprob: Math.log(p)})));
    greedy.push(value.token);
    input = [value.token];
  }
  console.log(JSON.stringify({model: args.model.split("/").pop(), prompt, prompt_ids: promptIds, greedy_ids: greedy, top}));
  await context.dispose();
}
await model.dispose();

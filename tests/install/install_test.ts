/**
 * Off-board tests for install.sh. Each test builds a fake root (RKLLM_ROOT) with the board files
 * the installer reads (/proc/device-tree, /sys/kernel/debug/rknpu, devfreq, cpufreq, /home/pi),
 * a fake rkllm-api binary and librkllmrt.so, and stub commands (systemctl, udevadm, ldconfig,
 * usermod, groupadd, getent, id, chown, hostname) that append their arguments to a log and keep
 * a little state (enabled/active units, groups), so a second run sees what the first one did.
 * The same command names are also put first on PATH as traps: a call that bypasses the
 * overridable variables shows up in the log as "DIRECT".
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SETTINGS } from "../../src/config.ts";

const INSTALL = fileURLToPath(new URL("../../install.sh", import.meta.url));
const STUBBED = [
  "systemctl",
  "udevadm",
  "ldconfig",
  "usermod",
  "groupadd",
  "getent",
  "id",
  "chown",
  "hostname",
] as const;
const STUB_VAR: Record<(typeof STUBBED)[number], string> = {
  systemctl: "SYSTEMCTL",
  udevadm: "UDEVADM",
  ldconfig: "LDCONFIG",
  usermod: "USERMOD",
  groupadd: "GROUPADD",
  getent: "GETENT",
  id: "ID",
  chown: "CHOWN",
  hostname: "HOSTNAME_CMD",
};
/** Stub calls that change the system (anything else in the log is a read-only query). */
const MUTATING =
  /^(systemctl (daemon-reload|enable|disable|start|restart|stop)|udevadm (control|trigger)|ldconfig|usermod|groupadd|chown)\b/;
const FAKE_BIN = '#!/bin/sh\necho "rkllm-api 0.1.0"\n';
const FAKE_LIB = "not really librkllmrt.so\0\x01\x02 but bytes all the same\n";

function which(cmd: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}
const hasShellcheck = which("shellcheck");
const hasSystemdAnalyze = which("systemd-analyze");
const hasGit = which("git");
const hasSetpriv = which("setpriv");
/** The test's own uid, without needing --allow-sys (`deno task test` does not grant it). */
const isRoot = new TextDecoder().decode(
  new Deno.Command("id", { args: ["-u"], stdout: "piped" }).outputSync().stdout,
).trim() === "0";

interface FixtureOptions {
  /** NUL-separated /proc/device-tree/compatible content. */
  compatible?: string;
  /** /sys/kernel/debug/rknpu/version content; null leaves it out. */
  driver?: string | null;
  /** Put one .rkllm model in /home/pi/models before installing. */
  model?: boolean;
  /** Whether the render group exists before installing. */
  renderGroup?: boolean;
}

interface Fixture {
  dir: string;
  root: string;
  log: string;
  bin: string;
  lib: string;
}

interface RunResult {
  code: number;
  out: string;
  stdout: string;
  stderr: string;
  /** Stub calls made during this run only. */
  calls: string[];
}

async function write(path: string, content: string | Uint8Array, mode?: number): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  if (typeof content === "string") await Deno.writeTextFile(path, content);
  else await Deno.writeFile(path, content);
  if (mode !== undefined) await Deno.chmod(path, mode);
}

function stubScript(name: string, log: string, state: string): string {
  const head = `#!/bin/bash\necho "${name} $*" >> '${log}'\nstate='${state}'\n`;
  switch (name) {
    case "systemctl":
      return head + `args=()
for a in "$@"; do case $a in --*) ;; *) args+=("$a") ;; esac; done
cmd=\${args[0]:-} unit=\${args[1]:-}
case $cmd in
  is-enabled) [ -e "$state/enabled.$unit" ] ;;
  is-active) [ -e "$state/active.$unit" ] ;;
  enable) touch "$state/enabled.$unit" ;;
  disable) rm -f "$state/enabled.$unit"; [[ " $* " == *" --now "* ]] && rm -f "$state/active.$unit"; true ;;
  start | restart) touch "$state/active.$unit" ;;
  stop) rm -f "$state/active.$unit" ;;
esac
`;
    case "getent":
      return head + `case "$1 $2" in
  "passwd pi") echo "pi:x:1000:1000:Pi:/home/pi:/bin/bash" ;;
  "passwd root") echo "root:x:0:0:root:/root:/bin/bash" ;;
  "passwd toor") echo "toor:x:0:0:root alias:/root:/bin/bash" ;;
  group\\ *) grep -qx "$2" "$state/groups" && echo "$2:x:990:" || exit 2 ;;
  *) exit 2 ;;
esac
`;
    case "groupadd":
      return head + `echo "\${@: -1}" >> "$state/groups"\n`;
    case "usermod":
      return head + `[ "$1" = -aG ] && echo "$2" >> "$state/member.$3"\ntrue\n`;
    case "id":
      return head + `case "$1" in
  -gn) echo "$2" ;;
  -nG) echo "$2 $(cat "$state/member.$2" 2>/dev/null | tr '\\n' ' ')" ;;
  -u) echo 1000 ;;
esac
`;
    case "hostname":
      return head + `[ "$1" = -I ] && echo "192.168.1.50 fe80::1"\ntrue\n`;
    default:
      return head;
  }
}

async function makeFixture(opts: FixtureOptions = {}): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "rkllm-install-" });
  await Deno.chmod(dir, 0o755);
  const root = join(dir, "root");
  const log = join(dir, "calls.log");
  const state = join(dir, "state");
  await Deno.mkdir(state, { recursive: true });
  await Deno.writeTextFile(log, "");
  await Deno.writeTextFile(
    join(state, "groups"),
    ["pi", "video", ...(opts.renderGroup ? ["render"] : [])].join("\n") + "\n",
  );

  await write(
    join(root, "proc/device-tree/compatible"),
    opts.compatible ?? "rockchip,rk3588-orangepi-5-plus\0rockchip,rk3588\0",
  );
  await write(join(root, "proc/device-tree/model"), "Orange Pi 5 Plus\0");
  if (opts.driver !== null) {
    await write(
      join(root, "sys/kernel/debug/rknpu/version"),
      opts.driver ?? "RKNPU driver: v0.9.8\n",
    );
  }
  await write(join(root, "sys/class/devfreq/fdab0000.npu/governor"), "rknpu_ondemand\n");
  for (const policy of ["policy0", "policy4"]) {
    await write(
      join(root, `sys/devices/system/cpu/cpufreq/${policy}/scaling_governor`),
      "schedutil\n",
    );
  }
  await write(join(root, "dev/rknpu"), "");
  await Deno.mkdir(join(root, "home/pi"), { recursive: true });
  if (opts.model) {
    await write(join(root, "home/pi/models/Qwen3-1.7B/qwen3-1.7b.rkllm"), "weights");
  }

  const bin = join(dir, "dist/rkllm-api");
  await write(bin, FAKE_BIN, 0o755);
  const lib = join(dir, "dist/librkllmrt.so");
  await write(lib, new TextEncoder().encode(FAKE_LIB), 0o644);

  for (const name of STUBBED) {
    await write(join(dir, "stubs", name), stubScript(name, log, state), 0o755);
    await write(
      join(dir, "trap", name),
      `#!/bin/sh\necho "DIRECT ${name} $*" >> '${log}'\nexit 99\n`,
      0o755,
    );
  }
  return { dir, root, log, bin, lib };
}

async function run(
  fx: Fixture,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  const before = (await Deno.readTextFile(fx.log)).split("\n").filter(Boolean).length;
  const stubEnv: Record<string, string> = {};
  for (const name of STUBBED) stubEnv[STUB_VAR[name]] = join(fx.dir, "stubs", name);
  const output = await new Deno.Command("bash", {
    args: [INSTALL, ...args],
    clearEnv: true,
    env: {
      PATH: `${join(fx.dir, "trap")}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
      HOME: fx.dir,
      LC_ALL: "C.UTF-8",
      NO_COLOR: "1",
      RKLLM_ROOT: fx.root,
      RKLLM_START_CHECK_SECONDS: "0",
      ...stubEnv,
      ...env,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  const calls = (await Deno.readTextFile(fx.log)).split("\n").filter(Boolean).slice(before)
    .map((line) => line.replace(`${fx.dir}/`, ""));
  return { code: output.code, out: stdout + stderr, stdout, stderr, calls };
}

function installArgs(fx: Fixture, ...extra: string[]): string[] {
  return ["--user", "pi", "--binary", fx.bin, "--lib", fx.lib, "--yes", ...extra];
}

function assertOk(r: RunResult, what = "install.sh"): void {
  assert.equal(r.code, 0, `${what} exited ${r.code}\n${r.out}`);
  assert.ok(!r.calls.some((c) => c.startsWith("DIRECT")), `bypassed a stub:\n${r.calls}`);
}

function mutating(calls: string[]): string[] {
  return calls.filter((c) => MUTATING.test(c));
}

async function hex(algorithm: "SHA-1" | "SHA-256", data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest(algorithm, data as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** What git would name this content: SHA-1 of "blob <size>\0<bytes>". */
async function gitBlobId(bytes: Uint8Array): Promise<string> {
  const header = new TextEncoder().encode(`blob ${bytes.length}\0`);
  const all = new Uint8Array(header.length + bytes.length);
  all.set(header);
  all.set(bytes, header.length);
  return await hex("SHA-1", all);
}

/**
 * One line per file or folder below root: path, type, mode, content hash, and (withTimes) the
 * modification and change times, so that any write, chmod or touch shows up.
 */
async function snapshot(root: string, withTimes: boolean): Promise<string[]> {
  const lines: string[] = [];
  async function walk(dir: string, rel: string): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const info = await Deno.lstat(path);
      const mode = ((info.mode ?? 0) & 0o7777).toString(8);
      const times = withTimes ? ` ${info.mtime?.getTime()} ${info.ctime?.getTime()}` : "";
      if (info.isDirectory) {
        lines.push(`${relPath}/ dir ${mode}${times}`);
        await walk(path, relPath);
      } else {
        const hash = info.isFile ? await hex("SHA-256", await Deno.readFile(path)) : "-";
        lines.push(`${relPath} ${info.isFile ? "file" : "other"} ${mode} ${hash}${times}`);
      }
    }
  }
  await walk(root, "");
  return lines.sort();
}

/** `key=value` lines of one section of a unit file (comments skipped). */
function unitSection(text: string, section: string): Map<string, string> {
  const out = new Map<string, string>();
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const header = line.match(/^\[(.+)\]$/);
    if (header) {
      current = header[1];
      continue;
    }
    if (current !== section) continue;
    const eq = line.indexOf("=");
    out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

async function read(fx: Fixture, path: string): Promise<string> {
  return await Deno.readTextFile(join(fx.root, path));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function cleanup(fx: Fixture): Promise<void> {
  await Deno.remove(fx.dir, { recursive: true });
}

/** Runs bash with install.sh sourced (functions only) and then `script`. */
async function sourced(script: string): Promise<{ code: number; stdout: string }> {
  const output = await new Deno.Command("bash", {
    args: ["-c", `source '${INSTALL}'\n${script}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: output.code, stdout: new TextDecoder().decode(output.stdout).trim() };
}

const EXPECTED_FILES = [
  "etc/rkllm-api/rkllm-api.env",
  "etc/systemd/system/rkllm-api.service",
  "etc/systemd/system/rkllm-freq-fix.service",
  "etc/udev/rules.d/99-rknpu.rules",
  "usr/lib/librkllmrt.so",
  "usr/local/bin/rkllm-api",
  "usr/local/sbin/rkllm-freq-fix",
  "var/lib/rkllm-api/manifest",
];

Deno.test("(a) install: exit 0, exactly the expected files and contents, service started", async () => {
  const fx = await makeFixture({ model: true });
  try {
    const before = new Set(await snapshot(fx.root, false));
    const r = await run(fx, installArgs(fx, "--freq-fix"));
    assertOk(r);

    const added = (await snapshot(fx.root, false)).filter((l) => !before.has(l));
    const addedFiles = added.filter((l) => l.includes(" file ")).map((l) => l.split(" ")[0]);
    assert.deepEqual(addedFiles.sort(), EXPECTED_FILES);
    const addedDirs = added.filter((l) => l.includes(" dir ")).map((l) => l.split(" ")[0]);
    for (const d of addedDirs) {
      assert.ok(
        EXPECTED_FILES.some((f) => f.startsWith(d)),
        `unexpected folder ${d}`,
      );
    }

    // Binary and library: same bytes, right modes.
    const binInfo = await Deno.stat(join(fx.root, "usr/local/bin/rkllm-api"));
    assert.equal((binInfo.mode ?? 0) & 0o777, 0o755);
    assert.equal(await read(fx, "usr/local/bin/rkllm-api"), FAKE_BIN);
    assert.equal(await read(fx, "usr/lib/librkllmrt.so"), FAKE_LIB);
    const freqInfo = await Deno.stat(join(fx.root, "usr/local/sbin/rkllm-freq-fix"));
    assert.equal((freqInfo.mode ?? 0) & 0o777, 0o755);

    // The unit file.
    const unitText = await read(fx, "etc/systemd/system/rkllm-api.service");
    const unitSec = unitSection(unitText, "Unit");
    const service = unitSection(unitText, "Service");
    const install = unitSection(unitText, "Install");
    assert.ok(unitSec.get("Description"));
    assert.equal(unitSec.get("After"), "network-online.target rkllm-freq-fix.service");
    assert.equal(unitSec.get("Wants"), "network-online.target");
    assert.equal(unitSec.get("StartLimitIntervalSec"), "60");
    assert.equal(unitSec.get("StartLimitBurst"), "5");
    const expectService: Record<string, string> = {
      Type: "simple",
      User: "pi",
      Group: "pi",
      SupplementaryGroups: "render video",
      EnvironmentFile: "/etc/rkllm-api/rkllm-api.env",
      ExecStart: "/usr/local/bin/rkllm-api serve",
      Restart: "on-failure",
      RestartSec: "5",
      RestartPreventExitStatus: "2",
      TimeoutStopSec: "15",
      KillSignal: "SIGTERM",
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ProtectHome: "read-only",
      ReadWritePaths: "-/home/pi/models",
      PrivateTmp: "yes",
      ProtectControlGroups: "yes",
      RestrictSUIDSGID: "yes",
      LockPersonality: "yes",
      DevicePolicy: "auto",
      LimitNOFILE: "65536",
    };
    for (const [key, value] of Object.entries(expectService)) {
      assert.equal(service.get(key), value, `[Service] ${key}`);
    }
    for (const key of ["StartLimitIntervalSec", "StartLimitBurst"]) {
      assert.ok(!service.has(key), `${key} belongs in [Unit], not [Service]`);
    }
    for (const key of ["MemoryDenyWriteExecute", "PrivateDevices", "DeviceAllow", "ProtectClock"]) {
      assert.ok(!service.has(key), `${key} would break the JIT or NPU access`);
    }
    assert.equal(install.get("WantedBy"), "multi-user.target");
    assert.doesNotMatch(unitText, /gunicorn|gevent|venv|python/i);

    // The environment file.
    const env = await read(fx, "etc/rkllm-api/rkllm-api.env");
    for (
      const line of [
        "RKLLM_API_HOST=0.0.0.0",
        "RKLLM_API_PORT=8000",
        "RKLLM_MODELS_DIR=/home/pi/models",
        "RKLLM_API_LOG_LEVEL=info",
      ]
    ) {
      assert.ok(env.split("\n").includes(line), `env file lacks ${line}`);
    }
    assert.match(env, /^#RKLLM_LIB_PATH=/m);

    // udev rule and frequency unit.
    const rule = await read(fx, "etc/udev/rules.d/99-rknpu.rules");
    assert.match(rule, /^KERNEL=="rknpu\*", MODE="0660", GROUP="render"$/m);
    assert.match(rule, /^SUBSYSTEM=="drm", KERNEL=="renderD\*", DRIVERS=="RKNPU".*GROUP="render"/m);
    const freqUnit = await read(fx, "etc/systemd/system/rkllm-freq-fix.service");
    assert.equal(unitSection(freqUnit, "Service").get("Type"), "oneshot");
    assert.equal(unitSection(freqUnit, "Service").get("RemainAfterExit"), "yes");
    assert.equal(unitSection(freqUnit, "Install").get("WantedBy"), "multi-user.target");

    // System commands.
    const calls = r.calls;
    for (
      const expected of [
        "systemctl daemon-reload",
        "systemctl enable --quiet rkllm-api.service",
        "systemctl enable --quiet rkllm-freq-fix.service",
        "systemctl restart rkllm-api.service",
        "udevadm control --reload-rules",
        "groupadd --system render",
        "usermod -aG render pi",
        "ldconfig ",
      ]
    ) {
      assert.ok(calls.includes(expected), `missing call '${expected}' in:\n${calls.join("\n")}`);
    }

    // Report lines.
    assert.match(r.out, /\[ OK \] Board: RK3588 \(Orange Pi 5 Plus\)/);
    assert.match(r.out, /\[ OK \] RKNPU driver: v0\.9\.8/);
    assert.match(r.out, /rkllm-api 0\.1\.0/);
    assert.match(r.out, /\[ OK \] Models: 1 \.rkllm file/);
    assert.match(r.out, /http:\/\/192\.168\.1\.50:8000\/v1/);
    assert.match(r.out, /Admin Settings → Connections → OpenAI API/);
    assert.match(r.out, /journalctl -u rkllm-api -f/);
    assert.match(r.out, /\[ OK \] Start: rkllm-api is running/);
    const blob = await gitBlobId(new TextEncoder().encode(FAKE_LIB));
    assert.match(r.out, new RegExp(`unknown build \\(git blob ${blob}\\)`));
  } finally {
    await cleanup(fx);
  }
});

Deno.test("(b) a second run changes nothing and says things are in place", async () => {
  const fx = await makeFixture({ model: true });
  try {
    assertOk(await run(fx, installArgs(fx, "--freq-fix")));
    const first = await snapshot(fx.root, true);
    const r = await run(fx, installArgs(fx, "--freq-fix"));
    assertOk(r, "second run");
    assert.deepEqual(await snapshot(fx.root, true), first);
    assert.deepEqual(mutating(r.calls), [], "second run changed the system");
    for (
      const pattern of [
        /Binary: already in place: \/usr\/local\/bin\/rkllm-api/,
        /Device access: already in place/,
        /Frequency fix: already in place/,
        /Frequency fix: rkllm-freq-fix\.service already active/,
        /Settings: already in place: \/etc\/rkllm-api\/rkllm-api\.env/,
        /Service: already in place: \/etc\/systemd\/system\/rkllm-api\.service/,
        /rkllm-api\.service already enabled/,
        /pi is already a member/,
        /running and nothing changed; not restarted/,
      ]
    ) {
      assert.match(r.out, pattern);
    }
  } finally {
    await cleanup(fx);
  }
});

Deno.test("(c) an admin-edited env file is kept and the new one written as .new", async () => {
  const fx = await makeFixture({ model: true });
  try {
    assertOk(await run(fx, installArgs(fx)));
    const envPath = join(fx.root, "etc/rkllm-api/rkllm-api.env");
    const original = await Deno.readTextFile(envPath);
    const edited = original.replace("RKLLM_API_LOG_LEVEL=info", "RKLLM_API_LOG_LEVEL=debug");
    await Deno.writeTextFile(envPath, edited);

    const r = await run(fx, installArgs(fx, "--port", "9000"));
    assertOk(r);
    assert.equal(await Deno.readTextFile(envPath), edited, "admin edit was overwritten");
    const fresh = await Deno.readTextFile(`${envPath}.new`);
    assert.match(fresh, /^RKLLM_API_PORT=9000$/m);
    assert.match(r.out, /\[WARN\] Settings: kept your edited \/etc\/rkllm-api\/rkllm-api\.env/);
    assert.match(
      r.out,
      /diff \/etc\/rkllm-api\/rkllm-api\.env \/etc\/rkllm-api\/rkllm-api\.env\.new/,
    );

    // Again: nothing rewritten.
    const snap = await snapshot(fx.root, true);
    const again = await run(fx, installArgs(fx, "--port", "9000"));
    assertOk(again);
    assert.deepEqual(await snapshot(fx.root, true), snap);
    assert.match(again.out, /kept your edited .*already in place/);

    // Uninstall keeps the edited file, removes the .new it wrote, and says so.
    const u = await run(fx, ["--uninstall", "--yes"]);
    assertOk(u, "uninstall");
    assert.equal(await Deno.readTextFile(envPath), edited);
    assert.ok(!(await exists(`${envPath}.new`)));
    assert.match(u.out, /kept \/etc\/rkllm-api\/rkllm-api\.env: changed since it was installed/);
  } finally {
    await cleanup(fx);
  }
});

Deno.test("an unedited env file follows new options (--port) and the service restarts", async () => {
  const fx = await makeFixture({ model: true });
  try {
    assertOk(await run(fx, installArgs(fx)));
    const r = await run(fx, installArgs(fx, "--port", "9000"));
    assertOk(r);
    assert.match(await read(fx, "etc/rkllm-api/rkllm-api.env"), /^RKLLM_API_PORT=9000$/m);
    assert.ok(!(await exists(join(fx.root, "etc/rkllm-api/rkllm-api.env.new"))));
    assert.ok(r.calls.includes("systemctl restart rkllm-api.service"));
    assert.match(r.out, /http:\/\/192\.168\.1\.50:9000\/v1/);
  } finally {
    await cleanup(fx);
  }
});

Deno.test("(d) --dry-run changes nothing, fresh or installed, and exits 0", async () => {
  const fx = await makeFixture({ model: true });
  try {
    let snap = await snapshot(fx.root, true);
    const dry = await run(fx, installArgs(fx, "--freq-fix", "--dry-run"));
    assertOk(dry, "dry run");
    assert.deepEqual(await snapshot(fx.root, true), snap);
    assert.deepEqual(mutating(dry.calls), []);
    assert.match(dry.out, /would create \/usr\/local\/bin\/rkllm-api/);
    assert.match(dry.out, /would run: .*systemctl daemon-reload/);
    assert.match(dry.out, /would run: .*systemctl restart rkllm-api\.service/);
    assert.match(dry.out, /rkllm-api 0\.1\.0/, "dry run reports the binary's version");
    assert.match(dry.out, /Dry run: nothing was changed/);

    // Without --yes and without a terminal it still does not stop or ask.
    const dryNoYes = await run(fx, ["--user", "pi", "--binary", fx.bin, "--dry-run"]);
    assertOk(dryNoYes);

    assertOk(await run(fx, installArgs(fx, "--freq-fix")));
    snap = await snapshot(fx.root, true);
    const dryChange = await run(fx, installArgs(fx, "--port", "9000", "--dry-run"));
    assertOk(dryChange);
    assert.match(dryChange.out, /would update \/etc\/rkllm-api\/rkllm-api\.env/);
    const dryUninstall = await run(fx, ["--uninstall", "--dry-run"]);
    assertOk(dryUninstall);
    assert.match(dryUninstall.out, /would remove \/usr\/local\/bin\/rkllm-api/);
    assert.deepEqual(await snapshot(fx.root, true), snap);
    assert.deepEqual(mutating([...dryChange.calls, ...dryUninstall.calls]), []);
  } finally {
    await cleanup(fx);
  }
});

Deno.test("(e) --uninstall removes what install created and nothing else; models kept", async () => {
  const fx = await makeFixture();
  try {
    const before = await snapshot(fx.root, false);
    assertOk(await run(fx, installArgs(fx, "--freq-fix")));
    await write(join(fx.root, "home/pi/models/Phi/phi.rkllm"), "weights");
    const u = await run(fx, ["--uninstall", "--yes"]);
    assertOk(u, "uninstall");
    const after = await snapshot(fx.root, false);
    const models = after.filter((l) => l.startsWith("home/pi/models"));
    assert.deepEqual(after.filter((l) => !l.startsWith("home/pi/models")), before);
    assert.equal(models.length, 3, "models folder and its content kept");
    assert.ok(u.calls.includes("systemctl disable --now --quiet rkllm-api.service"));
    assert.ok(u.calls.includes("systemctl disable --now --quiet rkllm-freq-fix.service"));
    assert.ok(u.calls.includes("systemctl daemon-reload"));
    assert.ok(!u.calls.some((c) => /usermod|gpasswd|groupdel/.test(c)), "group membership kept");
    assert.match(u.out, /Kept: the models folder/);
    assert.match(u.out, /group memberships/);

    // Nothing left to do the second time.
    const again = await run(fx, ["--uninstall", "--yes"]);
    assertOk(again);
    assert.match(again.out, /nothing recorded/);
  } finally {
    await cleanup(fx);
  }
});

Deno.test("a unit file the installer did not write is kept aside and put back on uninstall", async () => {
  const fx = await makeFixture({ model: true });
  try {
    const old = "[Service]\nExecStart=/home/pi/rkllm/.venv/bin/gunicorn -k gevent api:app\n";
    await write(join(fx.root, "etc/systemd/system/rkllm-api.service"), old);
    const before = await snapshot(fx.root, false);
    const r = await run(fx, installArgs(fx));
    assertOk(r);
    assert.equal(await read(fx, "etc/systemd/system/rkllm-api.service.orig-rkllm"), old);
    assert.match(r.out, /keeping the previous service unit as .*\.orig-rkllm/);
    assertOk(await run(fx, ["--uninstall"]));
    assert.deepEqual(await snapshot(fx.root, false), before);
  } finally {
    await cleanup(fx);
  }
});

Deno.test("(f) RKNPU driver versions compare numerically", async () => {
  for (
    const [driver, pattern] of [
      [
        "RKNPU driver: v0.9.6\n",
        /\[FAIL\] RKNPU driver: v0\.9\.6 is older than v0\.9\.8[^]*Upgrade/,
      ],
      ["RKNPU driver: v0.10.0\n", /\[ OK \] RKNPU driver: v0\.10\.0/],
      ["RKNPU driver: v0.9.8\n", /\[ OK \] RKNPU driver: v0\.9\.8/],
      [null, /\[WARN\] RKNPU driver: version unknown[^]*debugfs/],
    ] as const
  ) {
    const fx = await makeFixture({ driver, model: true });
    try {
      const r = await run(fx, installArgs(fx));
      assertOk(r, `driver ${driver}`);
      assert.match(r.out, pattern);
    } finally {
      await cleanup(fx);
    }
  }
  const cmp = await sourced(
    "for p in '0.10.0 0.9.8' '0.9.6 0.9.8' 'v0.9.8 0.9.8' '1.0 0.9.8' '0.9 0.9.0' '0.9.10 0.9.9'; do " +
      "set -- $p; printf '%s ' \"$(version_cmp $1 $2)\"; done",
  );
  assert.equal(cmp.stdout, "1 -1 0 1 0 1");
});

Deno.test("(g) a board that is not an RK3588 warns; without --yes and a terminal it stops", async () => {
  const fx = await makeFixture({
    compatible: "raspberrypi,5-model-b\0brcm,bcm2712\0",
    model: true,
  });
  try {
    const before = await snapshot(fx.root, true);
    const stopped = await run(fx, ["--user", "pi", "--binary", fx.bin]);
    assert.equal(stopped.code, 1);
    assert.match(stopped.out, /\[WARN\] Board: not an RK3588 \(compatible: raspberrypi,5-model-b/);
    assert.match(stopped.out, /--yes/);
    assert.deepEqual(await snapshot(fx.root, true), before, "stopping left files behind");

    const r = await run(fx, installArgs(fx));
    assertOk(r);
    assert.match(r.out, /\[WARN\] Board: not an RK3588/);
  } finally {
    await cleanup(fx);
  }
  const s = await makeFixture({ compatible: "radxa,rock-5a\0rockchip,rk3588s\0", model: true });
  try {
    const r = await run(s, installArgs(s));
    assertOk(r);
    assert.match(r.out, /\[ OK \] Board: RK3588S/);
  } finally {
    await cleanup(s);
  }
});

Deno.test("(h) git blob hash of the runtime library and the release table", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const samples: [string, Uint8Array][] = [
      ["empty", new Uint8Array()],
      ["text", new TextEncoder().encode("hello\n")],
      ["binary", Uint8Array.from({ length: 70000 }, (_, i) => (i * 7) % 256)],
    ];
    for (const [name, bytes] of samples) {
      const path = join(dir, name);
      await Deno.writeFile(path, bytes);
      const ours = await sourced(`git_blob_sha1 '${path}'`);
      assert.equal(ours.stdout, await gitBlobId(bytes), name);
      if (hasGit) {
        const git = await new Deno.Command("git", { args: ["hash-object", path], stdout: "piped" })
          .output();
        assert.equal(ours.stdout, new TextDecoder().decode(git.stdout).trim(), `git: ${name}`);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }

  const v123 = await sourced(
    'r=$(runtime_for_blob 0084abc34ab43359cfa9fd5d4c92ece34127dbd0); echo "$r"; describe_runtime "$r"',
  );
  assert.equal(v123.code, 0);
  assert.equal(v123.stdout, "1.2.3 aarch64\nlibrkllmrt 1.2.3");
  const v130 = await sourced(
    'r=$(runtime_for_blob 34167b32f99cb7ab19e21fb579fb750d96b878f1); echo "$r"; describe_runtime "$r"',
  );
  assert.equal(v130.code, 1, "1.3.0 is reported, not accepted");
  assert.match(
    v130.stdout,
    /^1\.3\.0 aarch64\nlibrkllmrt 1\.3\.0 \(needs a server built for ABI 1\.3/,
  );
  const armhf = await sourced(
    'describe_runtime "$(runtime_for_blob fe1ca6849603a770c54f82d26b826a120c79a01a)"',
  );
  assert.equal(armhf.code, 1);
  assert.match(armhf.stdout, /armhf: the board needs the aarch64 build/);
  const old = await sourced(
    'describe_runtime "$(runtime_for_blob 8ed9cca16f8d5ad8f7cdd7d393de6561182b3395)"',
  );
  assert.match(old.stdout, /librkllmrt 1\.2\.2 \(older than the 1\.2\.3/);
  const unknown = await sourced("runtime_for_blob 0000000000000000000000000000000000000000");
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stdout, "");
});

Deno.test({
  name: "(i) shellcheck: install.sh and the frequency script it writes are clean",
  ignore: !hasShellcheck,
  async fn() {
    const fx = await makeFixture();
    try {
      assertOk(await run(fx, installArgs(fx, "--freq-fix", "--no-start")));
      for (const file of [INSTALL, join(fx.root, "usr/local/sbin/rkllm-freq-fix")]) {
        const out = await new Deno.Command("shellcheck", { args: [file], stdout: "piped" })
          .output();
        assert.equal(out.code, 0, `shellcheck ${file}:\n${new TextDecoder().decode(out.stdout)}`);
      }
    } finally {
      await cleanup(fx);
    }
  },
});
if (!hasShellcheck) {
  console.warn("install_test: shellcheck not installed, skipping (i) (apt-get install shellcheck)");
}

Deno.test({
  name: "(j) systemd-analyze verify accepts both generated units",
  ignore: !hasSystemdAnalyze,
  async fn() {
    const fx = await makeFixture();
    try {
      assertOk(await run(fx, installArgs(fx, "--freq-fix", "--no-start")));
      // The programs do not exist on this machine, so point ExecStart at /bin/true.
      const dir = join(fx.dir, "verify");
      await Deno.mkdir(dir);
      for (const unit of ["rkllm-api.service", "rkllm-freq-fix.service"]) {
        const text = await read(fx, `etc/systemd/system/${unit}`);
        await Deno.writeTextFile(
          join(dir, unit),
          text.replace(/^ExecStart=.*$/m, "ExecStart=/bin/true"),
        );
      }
      const out = await new Deno.Command("systemd-analyze", {
        args: [
          "verify",
          ...["rkllm-api.service", "rkllm-freq-fix.service"].map((u) => join(dir, u)),
        ],
        cwd: dir,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, text);
      assert.doesNotMatch(text, /rkllm/, `systemd-analyze complained:\n${text}`);
    } finally {
      await cleanup(fx);
    }
  },
});
if (!hasSystemdAnalyze) {
  console.warn(
    "install_test: systemd-analyze not installed, skipping (j) (apt-get install systemd)",
  );
}

Deno.test("the frequency script sets performance governors and skips missing paths", async () => {
  const fx = await makeFixture();
  try {
    assertOk(await run(fx, installArgs(fx, "--freq-fix", "--no-start")));
    const out = await new Deno.Command("sh", {
      args: [join(fx.root, "usr/local/sbin/rkllm-freq-fix")],
      env: { RKLLM_ROOT: fx.root },
      stdout: "piped",
    }).output();
    assert.equal(out.code, 0);
    const text = new TextDecoder().decode(out.stdout);
    assert.match(text, /\[ OK \] NPU: performance/);
    assert.match(text, /\[ OK \] CPU policy0: performance/);
    assert.match(text, /\[ OK \] CPU policy4: performance/);
    assert.match(text, /\[SKIP\] DMC: \/sys\/class\/devfreq\/dmc\/governor not present/);
    for (
      const path of [
        "sys/class/devfreq/fdab0000.npu/governor",
        "sys/devices/system/cpu/cpufreq/policy0/scaling_governor",
        "sys/devices/system/cpu/cpufreq/policy4/scaling_governor",
      ]
    ) {
      assert.equal((await read(fx, path)).trim(), "performance", path);
    }
    assert.ok(!(await exists(join(fx.root, "sys/class/devfreq/dmc"))));
  } finally {
    await cleanup(fx);
  }
});

Deno.test("no models and no --freq-fix: models folder created, service enabled but not started", async () => {
  const fx = await makeFixture({ renderGroup: true });
  try {
    const r = await run(fx, installArgs(fx));
    assertOk(r);
    const info = await Deno.stat(join(fx.root, "home/pi/models"));
    assert.ok(info.isDirectory);
    assert.ok(r.calls.some((c) => /^chown pi:pi -- .*\/home\/pi\/models$/.test(c)), "chown models");
    assert.ok(!r.calls.includes("groupadd --system render"), "render group already existed");
    assert.ok(r.calls.includes("systemctl enable --quiet rkllm-api.service"));
    assert.ok(!r.calls.some((c) => /systemctl (re)?start/.test(c)), "started without models");
    assert.match(r.out, /\[SKIP\] Start: not started \(no models yet\)/);
    assert.match(r.out, /\[WARN\] Models: no \.rkllm files/);
    assert.ok(!(await exists(join(fx.root, "etc/systemd/system/rkllm-freq-fix.service"))));
    assert.ok(!(await exists(join(fx.root, "usr/local/sbin/rkllm-freq-fix"))));
    const unit = await read(fx, "etc/systemd/system/rkllm-api.service");
    assert.equal(unitSection(unit, "Unit").get("After"), "network-online.target");

    const noStart = await run(fx, installArgs(fx, "--no-start"));
    assertOk(noStart);
    assert.match(noStart.out, /not started \(--no-start\)/);
  } finally {
    await cleanup(fx);
  }
});

Deno.test("no runtime library and no --lib: a FAIL line with the fix, service not started", async () => {
  const fx = await makeFixture({ model: true });
  try {
    const r = await run(fx, ["--user", "pi", "--binary", fx.bin, "--yes"]);
    assertOk(r);
    assert.match(r.out, /\[FAIL\] Runtime library: librkllmrt\.so not found/);
    assert.match(r.out, /--lib \/path\/to\/librkllmrt\.so/);
    assert.match(r.out, /not started \(no runtime library yet\)/);
    assert.ok(!r.calls.some((c) => /systemctl (re)?start/.test(c)));
  } finally {
    await cleanup(fx);
  }
});

Deno.test("a library already in the user's home is found and --lib is not forced over it", async () => {
  const fx = await makeFixture({ model: true });
  try {
    await write(join(fx.root, "home/pi/librkllmrt.so"), "another build");
    const r = await run(fx, installArgs(fx));
    assertOk(r);
    assert.ok(!(await exists(join(fx.root, "usr/lib/librkllmrt.so"))));
    assert.match(r.out, /a different librkllmrt\.so is already at \/home\/pi\/librkllmrt\.so/);
    assert.match(r.out, /Runtime library: \/home\/pi\/librkllmrt\.so: unknown build/);
  } finally {
    await cleanup(fx);
  }
});

Deno.test("service user: never root, SUDO_USER by default, must exist", async () => {
  const fx = await makeFixture({ model: true });
  try {
    const before = await snapshot(fx.root, true);
    for (const args of [["--user", "root"], ["--user", "toor"], ["--user", "nobody-here"]]) {
      const r = await run(fx, [...args, "--binary", fx.bin, "--yes"]);
      assert.equal(r.code, 1, `${args}: ${r.out}`);
    }
    const sudoRoot = await run(fx, ["--binary", fx.bin, "--yes"], { SUDO_USER: "root" });
    if (sudoRoot.code === 1) assert.match(sudoRoot.out, /must not run as root|--user/);
    assert.deepEqual(await snapshot(fx.root, true), before);

    const r = await run(fx, ["--binary", fx.bin, "--lib", fx.lib, "--yes"], { SUDO_USER: "pi" });
    assertOk(r);
    assert.match(await read(fx, "etc/systemd/system/rkllm-api.service"), /^User=pi$/m);
  } finally {
    await cleanup(fx);
  }
});

Deno.test("command line: --help, bad options and the root check", async () => {
  const fx = await makeFixture();
  try {
    const help = await run(fx, ["--help"]);
    assert.equal(help.code, 0);
    for (
      const opt of [
        "--binary",
        "--lib",
        "--user",
        "--port",
        "--freq-fix",
        "--no-start",
        "--dry-run",
        "--uninstall",
        "--yes",
      ]
    ) {
      assert.match(help.out, new RegExp(`${opt}\\b`));
    }
    const bad = await run(fx, ["--frobnicate"]);
    assert.equal(bad.code, 2);
    assert.match(bad.out, /unknown option '--frobnicate'/);
    const port = await run(fx, installArgs(fx, "--port", "99999"));
    assert.equal(port.code, 2);
    const missing = await run(fx, ["--user", "pi", "--binary", join(fx.dir, "nope")]);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /not a file/);
  } finally {
    await cleanup(fx);
  }
});

Deno.test({
  name: "root check: without RKLLM_ROOT a non-root user is told to use sudo",
  ignore: isRoot && !hasSetpriv,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.chmod(dir, 0o755);
      const script = join(dir, "install.sh");
      await Deno.copyFile(INSTALL, script);
      await Deno.chmod(script, 0o755);
      const asRoot = isRoot;
      const cmd = asRoot ? "setpriv" : "bash";
      const args = asRoot
        ? ["--reuid=65534", "--regid=65534", "--clear-groups", "bash", script, "--yes"]
        : [script, "--yes"];
      const out = await new Deno.Command(cmd, {
        args,
        cwd: dir,
        clearEnv: true,
        env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, text);
      assert.match(text, /must run as root/);
      assert.match(text, /sudo bash .*install\.sh --yes/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the env file names only settings the server knows", async () => {
  const fx = await makeFixture();
  try {
    assertOk(await run(fx, installArgs(fx, "--no-start")));
    const env = await read(fx, "etc/rkllm-api/rkllm-api.env");
    const known = new Set<string>(SETTINGS.map((s) => s.env));
    known.add("RKLLM_LOG_LEVEL"); // read by Rockchip's runtime, not by the server
    const named = [...env.matchAll(/^#?(RKLLM_[A-Z_]+)=(.*)$/gm)];
    assert.ok(named.length >= 5);
    for (const [, name] of named) assert.ok(known.has(name), `${name} is not a server setting`);
    // "the values shown are the defaults": each commented-out line shows the server's default.
    for (const [line, name, value] of named.filter(([l]) => l.startsWith("#"))) {
      const setting = SETTINGS.find((s) => s.env === name);
      if (!setting || name === "RKLLM_LIB_PATH") continue;
      assert.equal(value, String(setting.default), line);
    }
  } finally {
    await cleanup(fx);
  }
});

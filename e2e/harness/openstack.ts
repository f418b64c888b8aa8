// Runs the real `openstack` CLI (Debian's python3-openstackclient) against a Kova gateway, as a
// Keystone user scoped to a project. `-f json` output is parsed.
import { execFile } from 'node:child_process';

export interface OpenStackCredentials {
  authUrl: string;
  user: string;
  password: string;
  project: string;
  /** --os-compute-api-version (default: the CLI's own, 2.1). */
  computeApiVersion?: string;
  /** Authenticate with this application credential instead (user, password, project unused). */
  applicationCredential?: { id: string; secret: string };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class OpenStackCli {
  readonly creds: OpenStackCredentials;

  constructor(creds: OpenStackCredentials) {
    this.creds = creds;
  }

  /** The same user at another compute microversion. */
  withComputeVersion(version: string | undefined): OpenStackCli {
    return new OpenStackCli({ ...this.creds, computeApiVersion: version });
  }

  /** Runs `openstack <args>`; never throws on a non-zero exit. */
  run(args: string[], timeoutMs = 120_000): Promise<CliResult> {
    const appCred = this.creds.applicationCredential;
    const auth = appCred
      ? {
          OS_AUTH_TYPE: 'v3applicationcredential',
          OS_APPLICATION_CREDENTIAL_ID: appCred.id,
          OS_APPLICATION_CREDENTIAL_SECRET: appCred.secret,
        }
      : {
          OS_AUTH_TYPE: 'password',
          OS_USERNAME: this.creds.user,
          OS_PASSWORD: this.creds.password,
          OS_PROJECT_NAME: this.creds.project,
          OS_USER_DOMAIN_NAME: 'Default',
          OS_PROJECT_DOMAIN_NAME: 'Default',
        };
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      OS_AUTH_URL: this.creds.authUrl,
      OS_IDENTITY_API_VERSION: '3',
      ...auth,
      OS_INTERFACE: 'public',
      OS_REGION_NAME: 'RegionOne',
      PYTHONWARNINGS: 'ignore',
    };
    const version = this.creds.computeApiVersion
      ? ['--os-compute-api-version', this.creds.computeApiVersion]
      : [];
    return new Promise((resolve) => {
      // stdin is closed: the CLI reads image data from an open stdin (`image create` without --file).
      const child = execFile(
        'openstack',
        [...version, ...args],
        { env, timeout: timeoutMs, maxBuffer: 16 << 20 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end();
    });
  }

  /** Runs `openstack <args> -f json` and parses the output; throws with stderr on failure. */
  async json<T = unknown>(args: string[]): Promise<T> {
    const r = await this.run([...args, '-f', 'json']);
    if (r.code !== 0)
      throw new Error(`openstack ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
    return JSON.parse(r.stdout) as T;
  }

  /** Runs a command that prints nothing on success (delete, set); throws with stderr on failure. */
  async ok(args: string[]): Promise<string> {
    const r = await this.run(args);
    if (r.code !== 0)
      throw new Error(`openstack ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
    return r.stdout;
  }
}

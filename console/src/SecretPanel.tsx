import { useEffect, useState } from 'react';
import { Icon } from './icons';
import { Button, CopyButton } from './ui';

export interface Snippet {
  id: string;
  title: string;
  description: string;
  code: string;
}

/** Ready-to-paste uses of a new secret, filled in with the token's own username. */
export function snippets(secret: string, username: string, origin = window.location.origin): Snippet[] {
  const host = new URL(origin).host;
  const endpoint = `${origin}/graphql`;
  const query = `'{"query":"{ me { id name } }"}'`;
  return [
    {
      id: 'curl',
      title: 'curl, with the APIKey header',
      description: 'Scripts and services: send the secret in the Authorization header.',
      code: `curl ${endpoint} \\\n  -H 'Authorization: APIKey ${secret}' \\\n  -H 'Content-Type: application/json' \\\n  -d ${query}`,
    },
    {
      id: 'basic',
      title: 'HTTP Basic: username and token',
      description: 'Package managers, Jenkins and anything that asks for a username and password.',
      code: `curl -u '${username}:${secret}' ${endpoint} \\\n  -H 'Content-Type: application/json' -d ${query}\n\n# pip\nexport PIP_INDEX_URL='${origin.replace('://', `://${username}:${secret}@`)}/simple'\n\n# docker\necho '${secret}' | docker login ${host} -u ${username} --password-stdin`,
    },
    {
      id: 'npmrc',
      title: '.npmrc',
      description: 'npm, pnpm and yarn: add these lines to the project’s or your own .npmrc.',
      code: `//${host}/:username=${username}\n//${host}/:_password=${btoa(secret)}\n//${host}/:always-auth=true`,
    },
  ];
}

/**
 * The shown-once panel: the secret, a Copy button, the warning that it will not be shown
 * again, and snippets. Leaving without copying asks first (and the browser asks before a
 * reload or a closed tab while the panel is open).
 */
export function SecretPanel({ secret, token, title, onDone, doneLabel = 'Done' }: { secret: string; token: { name: string; username: string }; title: string; onDone: () => void; doneLabel?: string }) {
  const [copied, setCopied] = useState(false);
  const [warned, setWarned] = useState(false);
  useEffect(() => {
    const guard = (e: BeforeUnloadEvent) => {
      e.preventDefault();
    };
    window.addEventListener('beforeunload', guard);
    return () => window.removeEventListener('beforeunload', guard);
  }, []);
  return (
    <section className="secret-panel" aria-labelledby="secret-title" data-testid="secret-panel">
      <div className="secret-head">
        <span className="secret-icon" aria-hidden="true">
          <Icon name="check" size={22} />
        </span>
        <div>
          <h2 id="secret-title">{title}</h2>
          <p className="muted">
            <strong>{token.name}</strong> · username <code>{token.username}</code>
          </p>
        </div>
      </div>
      <div className="alert alert-warning" role="note">
        <Icon name="alert" />
        <div>
          <strong>Copy the secret now: it will not be shown again.</strong>
          <p>Tokengate keeps only a one-way hash of it. If you lose it, regenerate the token to get a new secret.</p>
        </div>
      </div>
      <label htmlFor="secret-value" className="secret-label">
        Secret
      </label>
      <div className="secret-row">
        <input id="secret-value" className="input secret-value" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} spellCheck={false} />
        <CopyButton text={secret} label="Copy secret" variant="primary" onCopied={() => setCopied(true)} />
      </div>
      <h3 className="snippets-title">Use it</h3>
      <div className="snippets">
        {snippets(secret, token.username).map((s) => (
          <div className="snippet" key={s.id} data-snippet={s.id}>
            <div className="snippet-head">
              <div>
                <h4>{s.title}</h4>
                <p className="muted">{s.description}</p>
              </div>
              <CopyButton text={s.code} size="sm" label="Copy" onCopied={() => setCopied(true)} />
            </div>
            <pre tabIndex={0} aria-label={s.title}>
              <code>{s.code}</code>
            </pre>
          </div>
        ))}
      </div>
      <div className="secret-foot">
        {warned && !copied && (
          <p className="field-error" role="alert">
            You have not copied the secret yet. Choose “{doneLabel}” again to leave without it.
          </p>
        )}
        <Button
          variant={copied ? 'primary' : 'secondary'}
          onClick={() => {
            if (!copied && !warned) {
              setWarned(true);
              return;
            }
            onDone();
          }}
        >
          {doneLabel}
        </Button>
      </div>
    </section>
  );
}

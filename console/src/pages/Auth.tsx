import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useMutation } from 'urql';
import { Link } from 'wouter';
import { apiErrors, splitErrors } from '../client';
import { graphql } from '../graphql';
import { Icon } from '../icons';
import { SessionFields, sessionStore, useSession } from '../session';
import { Button, ErrorList, Notice, TextInput } from '../ui';

const Login = graphql(
  `
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) { ...SessionFields }
  }
`,
  [SessionFields],
);

const SignUpMutation = graphql(
  `
  mutation SignUp($input: SignUpInput!) {
    signUp(input: $input) { ...SessionFields }
  }
`,
  [SessionFields],
);

function AuthLayout({ title, subtitle, children, footer }: { title: string; subtitle: string; children: ReactNode; footer: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · Tokengate`;
  }, [title]);
  return (
    <div className="auth">
      <main className="auth-card" id="main">
        <div className="auth-brand">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="key" size={18} />
          </span>
          Tokengate
        </div>
        <h1>{title}</h1>
        <p className="muted">{subtitle}</p>
        {children}
        <p className="auth-foot">{footer}</p>
      </main>
      <aside className="auth-aside" aria-label="About Tokengate">
        <h2>Personal API tokens, governed.</h2>
        <ul>
          <li>
            <Icon name="check" /> Secrets shown once, stored only as a hash
          </li>
          <li>
            <Icon name="check" /> Roles, expiry policy and environments per token
          </li>
          <li>
            <Icon name="check" /> Usage, last-used addresses and an audit trail
          </li>
          <li>
            <Icon name="check" /> Rotation with a grace period, revocation at once
          </li>
        </ul>
      </aside>
    </div>
  );
}

export function SignIn() {
  const { endedBecause } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [result, login] = useMutation(Login);
  const errors = apiErrors(result.error);
  const { byField, general } = splitErrors(errors, ['email', 'password']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await login({ email: email.trim(), password });
    if (r.data?.login) sessionStore.start(r.data.login);
  };
  return (
    <AuthLayout
      title="Sign in"
      subtitle="Manage your account's API tokens."
      footer={
        <>
          New to Tokengate? <Link href="/sign-up">Create an account</Link>
        </>
      }
    >
      {endedBecause && <Notice kind="warning">{endedBecause}</Notice>}
      <form onSubmit={submit} noValidate className="form">
        <TextInput label="E-mail" type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} error={byField.email} />
        <TextInput label="Password" type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={byField.password} />
        <ErrorList errors={general} />
        <Button type="submit" variant="primary" busy={result.fetching} className="btn-block">
          Sign in
        </Button>
      </form>
    </AuthLayout>
  );
}

export function SignUp() {
  const [form, setForm] = useState({ accountName: '', name: '', email: '', password: '' });
  const [result, signUp] = useMutation(SignUpMutation);
  const { byField, general } = splitErrors(apiErrors(result.error), ['accountName', 'name', 'email', 'password']);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await signUp({ input: { ...form, email: form.email.trim() } });
    if (r.data?.signUp) sessionStore.start(r.data.signUp);
  };
  return (
    <AuthLayout
      title="Create your account"
      subtitle="You become its owner and can invite your team next."
      footer={
        <>
          Already have an account? <Link href="/sign-in">Sign in</Link>
        </>
      }
    >
      <form onSubmit={submit} noValidate className="form">
        <TextInput label="Organisation name" name="accountName" autoComplete="organization" required value={form.accountName} onChange={set('accountName')} error={byField.accountName} />
        <TextInput label="Your name" name="name" autoComplete="name" required value={form.name} onChange={set('name')} error={byField.name} />
        <TextInput label="E-mail" type="email" name="email" autoComplete="username" required value={form.email} onChange={set('email')} error={byField.email} />
        <TextInput
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          minLength={12}
          value={form.password}
          onChange={set('password')}
          error={byField.password}
          hint="At least 12 characters. A passphrase of a few words is easy to remember and hard to guess."
        />
        <ErrorList errors={general} />
        <Button type="submit" variant="primary" busy={result.fetching} className="btn-block">
          Create account
        </Button>
      </form>
    </AuthLayout>
  );
}

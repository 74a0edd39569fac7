import { useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { apiErrors } from '../client';
import { graphql } from '../graphql';
import { ROLE_LABEL } from '../session';
import { Card, ErrorList, Loading, Notice, PageHeader, RoleBadge } from '../ui';
import { PasswordCard, SessionsCard } from './ProfileSecurity';

const ProfileQuery = graphql(`
  query Profile { me { id name email role createdAt account { id name } } notificationSettings { email } }
`);
const UpdateSettings = graphql(`
  mutation UpdateNotificationSettings($input: NotificationSettingsInput!) { updateNotificationSettings(input: $input) { email } }
`);

export default function Profile() {
  const [result] = useQuery({ query: ProfileQuery });
  const [settingsResult, updateSettings] = useMutation(UpdateSettings);
  const [savedEmail, setSavedEmail] = useState<boolean | null>(null);
  useEffect(() => {
    document.title = 'Profile · Tokengate';
  }, []);
  if (!result.data && result.fetching) return <Loading />;
  const me = result.data?.me;
  if (!me) return <ErrorList errors={apiErrors(result.error)} />;
  const email = result.data!.notificationSettings.email;
  return (
    <div className="page">
      <PageHeader title="Profile" description="Your sign-in, your notifications and where you are signed in." />
      <Card title="You">
        <dl className="props">
          <dt>Name</dt>
          <dd>{me.name}</dd>
          <dt>E-mail</dt>
          <dd>{me.email}</dd>
          <dt>Role</dt>
          <dd>
            <RoleBadge role={me.role} /> <span className="muted">in {me.account.name}{me.role === 'READ_ONLY' || me.role === 'MEMBER' ? ` · ask an owner or admin to change it` : ''}</span>
          </dd>
        </dl>
        <p className="sr-only">Your role is {ROLE_LABEL[me.role]}.</p>
      </Card>
      <Card title="Notifications">
        <label className="switch">
          <input
            type="checkbox"
            role="switch"
            checked={email}
            disabled={settingsResult.fetching}
            onChange={async (e) => {
              const r = await updateSettings({ input: { email: e.target.checked } });
              if (!r.error) setSavedEmail(r.data!.updateNotificationSettings.email);
            }}
          />
          <span>
            <strong>E-mail me expiry notices</strong>
            <span className="hint">In-console notices are always on. E-mails go to {me.email}.</span>
          </span>
        </label>
        {savedEmail !== null && <Notice kind="success">{savedEmail ? 'Expiry notices will be e-mailed to you too.' : 'No more expiry e-mails; you still see notices here.'}</Notice>}
        <ErrorList errors={apiErrors(settingsResult.error)} />
      </Card>
      <PasswordCard />
      <SessionsCard />
    </div>
  );
}

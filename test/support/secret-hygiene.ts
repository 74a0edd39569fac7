import { installFetchObserver } from '../helpers/secret-registry';

/*
 * setupFilesAfterEnv of the integration projects: every HTTP exchange of the
 * test file (tests, helpers, gateways, the service's own outbound calls) goes
 * through the secret registry, so the teardown check in startTestApp's stop()
 * knows every secret the file handled (test/helpers/secret-registry.ts).
 */
installFetchObserver();

import { Counter, Gauge, register } from 'prom-client';

/*
 * Fleet metrics, on prom-client's default registry (served at /metrics with the
 * process's other metrics). Alert on tokengate_redis_up == 0, and on the age of
 * the last invalidation received growing while others are being published.
 */

export const invalidationsPublished = new Counter({
  name: 'tokengate_invalidations_published_total',
  help: 'Credential invalidations this process published to the fleet (by kind: token, user, session, account, all, address)',
  labelNames: ['kind'] as const,
});

export const invalidationsReceived = new Counter({
  name: 'tokengate_invalidations_received_total',
  help: 'Credential invalidations this process received from other processes of the fleet (by kind)',
  labelNames: ['kind'] as const,
});

export const lastInvalidationReceived = new Gauge({
  name: 'tokengate_last_invalidation_received_timestamp_seconds',
  help: 'Unix time at which this process last received an invalidation from another process (0: none yet)',
});

let redisUpGauge: Gauge | undefined;

/** tokengate_redis_up, registered by the first Redis connection: absent without REDIS_URL, so `== 0` alerts only fleets. */
export function redisUp(): Gauge {
  redisUpGauge ??=
    (register.getSingleMetric('tokengate_redis_up') as Gauge | undefined) ??
    new Gauge({ name: 'tokengate_redis_up', help: '1 while this process reaches Redis (fleet mode), 0 while it does not; absent without REDIS_URL' });
  return redisUpGauge;
}

export const rateLimitDecisions = new Counter({
  name: 'tokengate_rate_limit_decisions_total',
  help: 'Gateway rate-limit decisions (limit: token or address; outcome: allowed or limited)',
  labelNames: ['limit', 'outcome'] as const,
});

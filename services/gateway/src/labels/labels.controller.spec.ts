// The controller tier: the real route, guard, body checks and problem filter around a mocked LabelsService, so
// 400, 401, 403 and 413 are checked in milliseconds and the real-backend tests can test integration.
import { jest } from '@jest/globals';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { LOGGER } from '@vigil/runtime';
import request from 'supertest';
import { AccessCheck } from '../auth/access-check.js';
import { AccessDenialsService } from '../auth/access-denials.service.js';
import { Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../auth/principal.js';
import { RolesGuard } from '../auth/roles.guard.js';
import { InvalidTokenError } from '../auth/token.service.js';
import { ApiExceptionFilter } from '../http/api-exception.filter.js';
import { AnonymousRateLimit } from '../protection/anonymous-rate-limit.js';
import { LabelsController } from './labels.controller.js';
import type { LabelItem, LabelReplyDto } from './labels.dto.js';
import { LabelsService } from './labels.service.js';

const principals: Record<string, Principal> = {
  'fraud-ops': {
    subject: 'fraud-ops',
    kind: 'user',
    role: 'fraud_ops',
    regions: [],
    partnerId: null,
    scopes: null,
  },
  'partner-a': {
    subject: 'partner-a',
    kind: 'user',
    role: 'partner',
    regions: [],
    partnerId: 'partner-a',
    scopes: null,
  },
  // an API key of a partner that was not given labels:write
  'read-only-key': {
    subject: 'key-1',
    kind: 'api_key',
    role: 'partner',
    regions: [],
    partnerId: 'partner-a',
    scopes: ['transactions:read'],
  },
  sre: { subject: 'sre', kind: 'user', role: 'sre', regions: [], partnerId: null, scopes: null },
};

const noop = () => undefined;
const silentLogger = {
  info: noop,
  warn: noop,
  error: noop,
  debug: noop,
  fatal: noop,
  child: () => silentLogger,
};

describe('LabelsController', () => {
  let app: NestFastifyApplication;
  const record = jest.fn<(principal: Principal, items: LabelItem[]) => Promise<LabelReplyDto>>();

  beforeAll(async () => {
    const module = await Test.createTestingModule({
      controllers: [LabelsController],
      providers: [
        { provide: LabelsService, useValue: { record } },
        {
          provide: Authenticator,
          useValue: {
            authenticate: (headers: Record<string, string | undefined>) => {
              const principal = principals[(headers.authorization ?? '').replace(/^Bearer /, '')];
              return principal
                ? Promise.resolve(principal)
                : Promise.reject(new InvalidTokenError('invalid token'));
            },
          },
        },
        { provide: AccessDenialsService, useValue: { record: noop } },
        { provide: AnonymousRateLimit, useValue: { countUnverified: () => Promise.resolve() } },
        { provide: LOGGER, useValue: silentLogger },
        AccessCheck,
        { provide: APP_GUARD, useClass: RolesGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
    }).compile();
    app = module.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
  });

  beforeEach(() => {
    record.mockReset();
    record.mockResolvedValue({ accepted: 1, rejected: 0, results: [] });
  });

  const post = (user: string | undefined, body: unknown) => {
    const call = request(app.getHttpServer()).post('/v1/labels');
    return (user ? call.set('Authorization', `Bearer ${user}`) : call).send(body as object);
  };

  it('hands the parsed items and the caller to the service in one line', async () => {
    await post('partner-a', { items: [{ transaction_id: 'tx-1', label: 'fraud' }] }).expect(202);
    expect(record).toHaveBeenCalledWith(principals['partner-a'], [{ transactionId: 'tx-1', label: 'fraud' }]);
  });

  it('answers 401 without credentials and 403 without labels:write, before the body is looked at', async () => {
    const body = { items: [{ transaction_id: 'tx-1', label: 'fraud' }] };
    await post(undefined, body)
      .expect(401)
      .expect('content-type', /problem\+json/);
    const sre = await post('sre', body).expect(403);
    expect(sre.body.detail).toBe('sre sre lacks permission labels:write');
    await post('read-only-key', body).expect(403);
    expect(record).not.toHaveBeenCalled();
  });

  it('answers 400 naming the item and field, and 413 past 1,000 items', async () => {
    const bad = await post('fraud-ops', { items: [{ transaction_id: 'tx-1', label: 'Fraud' }] }).expect(400);
    expect(bad.body).toMatchObject({
      status: 400,
      instance: '/v1/labels',
      errors: [{ pointer: '/items/0/label', detail: 'items[0].label must be one of fraud, legitimate' }],
    });
    const items = Array.from({ length: 1001 }, (_, i) => ({ transaction_id: `tx-${i}`, label: 'fraud' }));
    await post('fraud-ops', { items })
      .expect(413)
      .expect('content-type', /problem\+json/);
    expect(record).not.toHaveBeenCalled();
  });
});

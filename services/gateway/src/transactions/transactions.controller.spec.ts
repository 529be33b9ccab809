// The controller tier for reading one transaction: the real route, guard, parameter checks and problem filter
// around a mocked TransactionsService, so 400, 401 and 403 are checked in milliseconds; the real-backend test
// (test/transaction-view.test.ts) checks what the view holds.
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
import { TransactionsController } from './transactions.controller.js';
import type { TransactionViewDto, TransactionViewOptions } from './transactions.dto.js';
import { TransactionsService } from './transactions.service.js';

const principals: Record<string, Principal> = {
  analyst: { subject: 'analyst', kind: 'user', role: 'analyst', regions: [], partnerId: null, scopes: null },
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

const newView = (overrides: Partial<TransactionViewDto> = {}): TransactionViewDto => ({
  transaction_id: 'tx-1',
  status: 'scored',
  score: 0.42,
  decision: 'approve',
  reasons: [],
  region: 'NG',
  partner_id: null,
  received_at: '2026-01-01T09:00:00.000000Z',
  amount: '10.00',
  currency: 'NGN',
  type: 'PAYMENT',
  label: null,
  ...overrides,
});

describe('TransactionsController GET /v1/transactions/{id}', () => {
  let app: NestFastifyApplication;
  const get =
    jest.fn<
      (principal: Principal, id: string, options: TransactionViewOptions) => Promise<TransactionViewDto>
    >();

  beforeAll(async () => {
    const module = await Test.createTestingModule({
      controllers: [TransactionsController],
      providers: [
        { provide: TransactionsService, useValue: { get } },
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
    get.mockReset();
    get.mockResolvedValue(newView());
  });

  const read = (user: string | undefined, path: string) => {
    const call = request(app.getHttpServer()).get(path);
    return user ? call.set('Authorization', `Bearer ${user}`) : call;
  };

  it('hands the id, the history size and the caller to the service in one line', async () => {
    const res = await read('analyst', '/v1/transactions/partner-a~tx-1?history=20').expect(200);
    expect(res.body).toEqual(newView());
    expect(get).toHaveBeenCalledWith(principals.analyst, 'partner-a~tx-1', { history: 20 });
    await read('analyst', '/v1/transactions/tx-2').expect(200);
    expect(get).toHaveBeenLastCalledWith(principals.analyst, 'tx-2', { history: 0 });
  });

  it('answers 400 naming a bad history, a repeated one or an unknown parameter', async () => {
    for (const value of ['101', '-1', 'twenty', '1e2']) {
      const res = await read('analyst', `/v1/transactions/tx-1?history=${value}`).expect(400);
      expect(res.body).toMatchObject({
        status: 400,
        detail: 'history must be an integer from 0 to 100',
        errors: [{ parameter: 'history', detail: 'history must be an integer from 0 to 100' }],
      });
    }
    const repeated = await read('analyst', '/v1/transactions/tx-1?history=1&history=2').expect(400);
    expect(repeated.body.errors).toEqual([
      { parameter: 'history', detail: 'history must be given at most once' },
    ]);
    const unknown = await read('analyst', '/v1/transactions/tx-1?merchant=M-1').expect(400);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ parameter: 'merchant' })]);
    expect(get).not.toHaveBeenCalled();
  });

  it('answers 401 without credentials and 403 without transactions:read', async () => {
    await read(undefined, '/v1/transactions/tx-1')
      .expect(401)
      .expect('content-type', /problem\+json/);
    const sre = await read('sre', '/v1/transactions/tx-1?history=5').expect(403);
    expect(sre.body.detail).toBe('sre sre lacks permission transactions:read');
    expect(get).not.toHaveBeenCalled();
  });
});

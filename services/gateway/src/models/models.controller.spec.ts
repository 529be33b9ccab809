// The controller tier: the real route, guard, query parsing and problem filter around a mocked ModelsService,
// so who may compare models and which queries are refused is checked in milliseconds.
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
import { ModelsController } from './models.controller.js';
import type { ComparisonQuery, ModelComparisonReportDto } from './models.dto.js';
import { ModelsService } from './models.service.js';

const staff = (subject: string, role: Principal['role'], regions: string[] = []): Principal => ({
  subject,
  kind: 'user',
  role,
  regions,
  partnerId: null,
  scopes: null,
});
const principals: Record<string, Principal> = {
  'analyst-ng': staff('analyst-ng', 'analyst', ['NG']),
  auditor: staff('auditor', 'auditor'),
  sre: staff('sre', 'sre'),
  'partner-a': { ...staff('partner-a', 'partner'), partnerId: 'partner-a' },
  // an analyst's OAuth client given transactions:read only
  'narrow-client': { ...staff('client-1', 'analyst'), kind: 'client', scopes: ['transactions:read'] },
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

describe('ModelsController', () => {
  let app: NestFastifyApplication;
  const comparison =
    jest.fn<(principal: Principal, query: ComparisonQuery) => Promise<ModelComparisonReportDto>>();

  beforeAll(async () => {
    const module = await Test.createTestingModule({
      controllers: [ModelsController],
      providers: [
        { provide: ModelsService, useValue: { comparison } },
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
    comparison.mockReset();
    comparison.mockResolvedValue({ from: '', to: '', budget: 100, comparisons: [] });
  });

  const get = (user: string | undefined, query: Record<string, string>) => {
    const call = request(app.getHttpServer()).get('/v1/models/comparison').query(query);
    return user ? call.set('Authorization', `Bearer ${user}`) : call;
  };
  const day = { from: '2026-03-01T00:00:00Z', to: '2026-03-02T00:00:00+01:00' };

  it('hands the caller and the parsed window and budget to the service', async () => {
    await get('analyst-ng', { ...day, budget: '250' }).expect(200);
    expect(comparison).toHaveBeenCalledWith(principals['analyst-ng'], {
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-03-01T23:00:00Z'),
      budget: 250,
    });
    await get('auditor', day).expect(200);
    expect(comparison).toHaveBeenLastCalledWith(principals.auditor, expect.objectContaining({ budget: 100 }));
  });

  it('answers 401 without credentials and 403 to partners, SREs and credentials scoped without models:read', async () => {
    await get(undefined, day)
      .expect(401)
      .expect('content-type', /problem\+json/);
    for (const user of ['partner-a', 'sre', 'narrow-client']) {
      const res = await get(user, day).expect(403);
      expect(res.body.detail).toBe(
        `${principals[user]!.role} ${principals[user]!.subject} lacks permission models:read`,
      );
    }
    expect(comparison).not.toHaveBeenCalled();
  });

  it('answers 400 naming the parameter before the service is asked', async () => {
    const missing = await get('auditor', { to: day.to }).expect(400);
    expect(missing.body.errors).toEqual([{ parameter: 'from', detail: 'from is required' }]);
    const budget = await get('auditor', { ...day, budget: '10001' }).expect(400);
    expect(budget.body.errors).toEqual([
      { parameter: 'budget', detail: 'budget must be an integer from 1 to 10000' },
    ]);
    expect(comparison).not.toHaveBeenCalled();
  });
});

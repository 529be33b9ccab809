import type { OpenAPIObject } from '@nestjs/swagger';
import { toOpenApi31 } from './openapi.js';

describe('toOpenApi31', () => {
  it('turns nullable into type arrays and error bodies into problem+json', () => {
    const document = {
      openapi: '3.1.0',
      info: { title: 't', version: '1' },
      paths: {
        '/x': {
          get: {
            responses: {
              '200': {
                description: 'ok',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/X' } } },
              },
              '400': {
                description: 'bad',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/E' } } },
              },
            },
          },
        },
      },
      components: {
        schemas: {
          X: {
            type: 'object',
            properties: {
              score: { type: 'number', nullable: true },
              status: { type: 'string', enum: ['a'], nullable: true },
              nested: { $ref: '#/components/schemas/E', nullable: true },
              plain: { type: 'string', nullable: false },
            },
          },
        },
      },
    } as unknown as OpenAPIObject;
    const converted = toOpenApi31(document) as unknown as {
      paths: { '/x': { get: { responses: Record<string, { content: object }> } } };
      components: { schemas: { X: { properties: Record<string, object> } } };
    };
    expect(converted.components.schemas.X.properties).toEqual({
      score: { type: ['number', 'null'] },
      status: { type: ['string', 'null'], enum: ['a', null] },
      nested: { oneOf: [{ $ref: '#/components/schemas/E' }, { type: 'null' }] },
      plain: { type: 'string' },
    });
    expect(Object.keys(converted.paths['/x'].get.responses['200']!.content)).toEqual(['application/json']);
    expect(Object.keys(converted.paths['/x'].get.responses['400']!.content)).toEqual([
      'application/problem+json',
    ]);
  });
});

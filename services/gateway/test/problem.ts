// What every error response of the gateway looks like: problem details (RFC 9457).
export const problemOf = (status: number, detail: unknown): unknown =>
  expect.objectContaining({
    type: expect.stringMatching(/^https:\/\/vigil\.dev\/problems\/[a-z-]+$/),
    title: expect.any(String),
    status,
    detail,
    instance: expect.stringMatching(/^\//),
  });

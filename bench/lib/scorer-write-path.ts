// The scorer's persistence path as a save(row) API for the persistence benchmark: rows grouped the way a
// partition worker groups a pulled batch, each group one commit (partition offset fenced by epoch, then the
// scores), as the worker does; the publish inside the commit is left out (it is NATS, not Postgres).
import { BatchWriter, type Database } from '@vigil/db';
import { ROOT } from './suite.ts';

type RepositoryModule = typeof import('../../services/scorer/src/partitions/partition.repository.ts');
export type PartitionRepository = InstanceType<RepositoryModule['PartitionRepository']>;
export type TransactionScored = Parameters<PartitionRepository['commit']>[0]['scored'][number];

export class ScorerWritePath {
  private readonly writer: BatchWriter<TransactionScored>;
  private readonly repository: PartitionRepository;
  private readonly epoch: number;
  private lastSeq = 0;

  // plain fields, not parameter properties: bench files run through Node's type stripping
  private constructor(repository: PartitionRepository, epoch: number, db: Database) {
    this.repository = repository;
    this.epoch = epoch;
    this.writer = new BatchWriter(db, { write: (rows) => this.write(rows) });
  }

  static async open(db: Database): Promise<ScorerWritePath> {
    const { PartitionRepository } = (await import(
      `${ROOT}services/scorer/dist/partitions/partition.repository.js`
    )) as RepositoryModule;
    const repository = new PartitionRepository(db);
    const epoch = Date.now();
    if ((await repository.claim(0, epoch, 'bench')) === undefined)
      throw new Error('could not claim partition 0');
    return new ScorerWritePath(repository, epoch, db);
  }

  save(row: TransactionScored): Promise<void> {
    return this.writer.add(row);
  }

  /** One commit and outbox clean-up for `rows`, as one pulled batch would be written. */
  async write(rows: TransactionScored[]): Promise<void> {
    const result = await this.repository.commit({
      partition: 0,
      epoch: this.epoch,
      lastSeq: ++this.lastSeq,
      states: new Map(),
      halves: [],
      scored: rows,
      scoreJoined: () => [],
      publish: () => Promise.resolve(),
      featuresOf: () => undefined,
    });
    if (result.fenced) throw new Error('bench partition fenced');
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { readScopeOf, type Principal } from '../auth/principal.js';
import type { DataQualityDto, DataQualityFilters, SchemaDriftListDto } from './data-quality.dto.js';
import { DataQualityRepository } from './data-quality.repository.js';

@Injectable()
export class DataQualityService {
  constructor(@Inject(DataQualityRepository) private readonly dataQuality: DataQualityRepository) {}

  async windows(principal: Principal, filters: DataQualityFilters): Promise<DataQualityDto> {
    const rows = await this.dataQuality.windows(filters, readScopeOf(principal));
    const records = rows.reduce((sum, r) => sum + r.records, 0);
    const passed = rows.reduce((sum, r) => sum + r.passed, 0);
    return {
      windows: rows.map((r) => ({
        window_start: r.window_start,
        window_end: new Date(Date.parse(r.window_start) + 60_000).toISOString().replace('.000Z', 'Z'),
        source: r.source,
        region: r.region,
        records: r.records,
        passed: r.passed,
        warned: r.warned,
        quarantined: r.quarantined,
        pass_rate: r.records > 0 ? r.passed / r.records : 1,
        failures: r.failures ?? {},
        expected_pass_rate: r.expected_pass_rate,
        anomaly: r.anomaly,
      })),
      totals: { records, passed, pass_rate: records > 0 ? passed / records : null },
    };
  }

  async drift(source: string | undefined, limit: number): Promise<SchemaDriftListDto> {
    return { items: await this.dataQuality.drift(source, limit) };
  }
}

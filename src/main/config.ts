import { compromiseConfig } from '../compromise/compromise.config.js';
import { gatewayConfig } from '../gateway/gateway.config.js';
import { mailtipsConfig } from '../mailtips/mailtips.config.js';
import { phonesConfig } from '../phones/phones.config.js';
import type { ConfigSection } from '../platform/config/config.js';
import { recoveryConfig } from '../recovery/recovery.config.js';
import { reportsConfig } from '../reports/reports.config.js';

/**
 * Every capability's section of the configuration, passed to loadConfig and describeConfig.
 * A new capability with settings adds its `src/<cap>/<cap>.config.ts` section here.
 */
export const configSections: readonly ConfigSection[] = [gatewayConfig, mailtipsConfig, recoveryConfig, phonesConfig, compromiseConfig, reportsConfig];

import { it } from 'vitest';
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { buran, eventsOf, makeSandbox, runIn, statusOf, writeConfig, writePacket } from '../helpers/sandbox.ts';
import { writeFileSync } from 'node:fs';
it('explore', async () => {
    const sb = makeSandbox();
    writeFileSync(`${sb.workspace}/check-exit.txt`, '1,0');
    const config = writeConfig(sb, { implementer: ['ok'], fixer: ['ok'], reviewer: ['pass'] });
    const r = await runIn(sb, config, writePacket(sb), ['--until', 'verification']);
    console.log(r.code, r.stdout);
    console.log(JSON.stringify(await eventsOf(sb, r.runId)));
    console.log(readFileSync(`${sb.workspace}/.check-runs`, 'utf8'));
    const r2 = await buran(['resume', r.runId, '--registry', sb.registry]);
    console.log(r2.code, r2.stdout);
    const s = await statusOf(sb, r.runId);
    console.log(s.epoch, JSON.stringify(s.tasks));
    console.log(readFileSync(`${sb.workspace}/.check-runs`, 'utf8'));
    console.log((await eventsOf(sb, r.runId)).map(e => JSON.stringify(e)).join('\n'));
}, 60000);

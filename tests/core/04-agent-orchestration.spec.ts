import { test, expect, type AgentType } from '../../fixtures';
import { catalog, category } from '../catalog';
import { SUPERVISOR_DELEGATION, TOOL_MAP } from '../../fixtures/client/contract';
import { lastFrame, countOf } from '../../fixtures/client/frames';
import { uniqueRequest } from '../../fixtures/client/unique';
import { shapes } from '../../fixtures/shapes';

const { title, details } = category('core-04');

test.describe(title, details, () => {
  test(
    '4.1 test_basic_functionality',
    catalog({ checks: '/health; /api/agents A(U) → healthy; supervisor listed', catches: 'no orchestrator' }),
    async ({ request, api, settings }) => {
      const health = await request.get('/health');
      expect(health.status()).toBe(200);
      expect(await health.json()).toMatchObject(shapes.backendHealth(settings.environment));
      const agents = await api.get('/api/agents');
      expect(agents.status()).toBe(200);
      expect((await agents.json()).agents, 'the supervisor is listed').toContainEqual(
        expect.objectContaining({
          type: 'supervisor',
          name: shapes.nonEmpty(),
          description: shapes.nonEmpty(),
          tools: expect.arrayContaining([...TOOL_MAP.supervisor]),
        }),
      );
    },
  );

  test(
    '4.2 test_agent_discovery_and_listing',
    catalog({
      checks: '/api/mcp/servers → each: name, connected, version, description, tools/resources/prompts arrays',
      catches: 'MCP schema',
    }),
    async ({ request }) => {
      const response = await request.get('/api/mcp/servers');
      expect(response.status()).toBe(200);
      const { data } = (await response.json()) as { data: unknown[] };
      expect(data.length, 'at least one MCP server').toBeGreaterThanOrEqual(1);
      for (const [i, server] of data.entries()) expect(server, `MCP server ${i}`).toMatchObject(shapes.mcpServer());
    },
  );

  test(
    '4.3 test_orchestration_workflow_states',
    catalog({
      checks: 'run(supervisor) → one agent_started started, one agent_completed completed; quiet after',
      catches: 'terminal events',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const run = await socket.startAgent('supervisor', uniqueRequest('Review our usage and suggest next steps'));
      const frames = await run.finished();
      const started = frames.filter((f) => f.type === 'agent_started');
      const completed = frames.filter((f) => f.type === 'agent_completed');
      expect(started, 'one agent_started').toHaveLength(1);
      expect(completed, 'one agent_completed').toHaveLength(1);
      expect(frames[0], 'agent_started comes first').toMatchObject({ type: 'agent_started', status: 'started', agent_name: 'supervisor' });
      expect(lastFrame(frames), 'agent_completed comes last').toMatchObject({
        type: 'agent_completed',
        status: 'completed',
        agent_name: 'supervisor',
      });
      expect(
        frames.map((f) => f.type),
        'no agent_error',
      ).not.toContain('agent_error');
      await expect(socket, 'nothing follows the terminal event').toStayQuiet({ match: (f) => f.run_id === run.runId });
    },
  );

  test(
    '4.4 test_agent_communication_patterns',
    catalog({ checks: "say(text) → sub-agent frames carry supervisor run_id; tool frames' agent owns the tool", catches: 'attribution' }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const run = await socket.say(uniqueRequest('Which models cost us the most this month'));
      const frames = await run.finished();
      const subAgentFrames = frames.filter((f) => f.agent_name !== 'supervisor');
      expect([...new Set(subAgentFrames.map((f) => f.agent_name))], 'sub-agents in delegation order').toEqual([...SUPERVISOR_DELEGATION]);
      expect(new Set(subAgentFrames.map((f) => f.run_id)), "sub-agent frames carry the supervisor's run_id").toEqual(new Set([run.runId]));
      const ownFrames = frames.filter((f) => ['agent_started', 'stream_chunk', 'agent_completed'].includes(f.type));
      expect(new Set(ownFrames.map((f) => f.agent_name)), 'started, chunks and completed carry supervisor').toEqual(
        new Set(['supervisor']),
      );
      const toolFrames = frames.filter((f) => ['tool_executing', 'tool_completed'].includes(f.type));
      expect(new Set(toolFrames.map((f) => f.tool_name)), 'the five tools are called').toEqual(new Set(TOOL_MAP.supervisor));
      for (const frame of toolFrames) {
        expect(
          TOOL_MAP[frame.agent_name as AgentType],
          `${frame.type} ${String(frame.tool_name)} is sent by the agent that owns the tool, not ${String(frame.agent_name)}`,
        ).toContain(frame.tool_name);
      }
    },
  );

  test(
    '4.5 test_orchestration_error_scenarios',
    catalog({ checks: "U2 runs; U1 stop_agent U2's run_id → U1 ERR(RUN_NOT_FOUND); U2 run ends completed", catches: 'foreign stop' }),
    async ({ users, sockets, settings }) => {
      const [u1, u2] = await Promise.all([users.create(), users.create()]);
      const s1 = await sockets.open(u1);
      const s2 = await sockets.open(u2);
      const run = await s2.startAgent('triage', uniqueRequest('Classify this request'), {
        context: { simulate_delay_ms: settings.runDelayMs },
      });
      await run.started();
      expect(await s1.sendExpectingError({ type: 'stop_agent', run_id: run.runId }), "stop_agent for another user's run").toBeErrorFrame(
        'RUN_NOT_FOUND',
      );
      const frames = await s2.waitForRunEnd(run.runId);
      expect(lastFrame(frames), "U2's run is not stopped by U1").toMatchObject({ type: 'agent_completed', status: 'completed' });
      expect(frames).toFollowGoldenPath();
      expect(s1.runFrames(run.runId), "U1 receives none of U2's run").toEqual([]);
    },
  );

  test(
    '4.6 test_multi_agent_coordination_metrics',
    catalog({
      checks: 'say(text); runs/{run_id} → agent_type supervisor; executing = completed = observed ≥ 5',
      catches: 'log loses events',
    }),
    async ({ sockets, user, api }) => {
      const socket = await sockets.open(user);
      const run = await socket.say(uniqueRequest('Compare cost and latency across our agents'));
      const frames = await run.finished();
      const observed = frames.map((f) => f.type);
      const executing = countOf(observed, 'tool_executing');
      expect(executing, 'tool calls observed').toBeGreaterThanOrEqual(TOOL_MAP.supervisor.length);
      expect(countOf(observed, 'tool_completed'), 'each tool call completes').toBe(executing);
      const record = await api.get(`/api/agents/runs/${run.runId}`);
      expect(record.status()).toBe(200);
      const logged = await record.json();
      expect(logged).toMatchObject({ run_id: run.runId, agent_type: 'supervisor', status: 'completed' });
      expect(countOf(logged.events, 'tool_executing'), 'tool_executing in the run log').toBe(executing);
      expect(countOf(logged.events, 'tool_completed'), 'tool_completed in the run log').toBe(executing);
    },
  );
});

import { test, expect, type AgentType, type Frame } from '../../fixtures';
import { describeFrame } from '../../fixtures/client/agent-socket';
import { catalog, category } from '../catalog';
import { SUPERVISOR_DELEGATION, TOOL_MAP, isTerminal } from '../../fixtures/client/contract';
import { countOf, delegationOrder, lastFrame, toolNames } from '../../fixtures/client/frames';
import { uniqueRequest } from '../../fixtures/client/unique';

const { title, details } = category('core-04');

test.describe(title, details, () => {
  test(
    '4.1 test_basic_functionality',
    catalog({
      checks: '/health is healthy, and /api/agents, with a token, lists the supervisor with the tools of its sub-agents.',
      catches: 'no orchestrator',
    }),
    async ({ request, api, settings }) => {
      await expect(await request.get('/health')).toMatchContract('GET /health', 200, { environment: settings.environment });
      const agents = await api.get('/api/agents');
      await expect(agents).toMatchContract('GET /api/agents', 200);
      const supervisor = ((await agents.json()).agents as { type: string; tools: unknown }[]).find((a) => a.type === 'supervisor');
      expect(toolNames(supervisor?.tools), 'the supervisor is listed with its tools').toEqual(
        expect.arrayContaining([...TOOL_MAP.supervisor]),
      );
    },
  );

  test(
    '4.2 test_agent_discovery_and_listing',
    catalog({
      checks:
        '/api/mcp/servers lists at least one server, each with a name, status connected, a version, a description and ' +
        'arrays of tools, resources and prompts.',
      catches: 'MCP schema',
    }),
    async ({ request }) => {
      await expect(await request.get('/api/mcp/servers')).toMatchContract('GET /api/mcp/servers', 200);
    },
  );

  test(
    '4.3 test_orchestration_workflow_states',
    catalog({
      checks:
        'A supervisor run sends exactly one agent_started (status started, first) and one agent_completed (status ' +
        'completed, last), both from the supervisor, no agent_error, and nothing more for the run afterwards.',
      catches: 'terminal events',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const run = await socket.startAgent('supervisor', uniqueRequest('Review our usage and suggest next steps'));
      const frames = await run.finished();
      expect(frames, 'one agent_started first, one agent_completed last').toFollowGoldenPath();
      await expect(frames[0], 'agent_started comes first').toMatchContract({
        type: 'agent_started',
        status: 'started',
        agent_name: 'supervisor',
      });
      await expect(lastFrame(frames), 'agent_completed comes last').toMatchContract({
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
    catalog({
      checks:
        "In a user_message run, triage, data and optimization act in that order under the supervisor's run_id (the socket " +
        'gets no other run); agent_started, the chunks and agent_completed come from the supervisor; every tool frame ' +
        'comes from the sub-agent that owns the tool, and the five tools are called.',
      catches: 'attribution',
    }),
    async ({ sockets, user }) => {
      const socket = await sockets.open(user);
      const run = await socket.say(uniqueRequest('Which models cost us the most this month'));
      const frames = await run.finished();
      expect(delegationOrder(frames), "sub-agents act in delegation order under the supervisor's run_id").toEqual([
        ...SUPERVISOR_DELEGATION,
      ]);
      expect(
        new Set(socket.frames.filter((f) => f.run_id !== undefined).map((f) => f.run_id)),
        'no sub-agent frame comes under a run_id of its own',
      ).toEqual(new Set([run.runId]));
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
    catalog({
      checks:
        "U1's stop_agent for U2's slowed run gets RUN_NOT_FOUND, and the run is not cancelled by it: U2 receives a further " +
        'event of the run and no end of it before acting, and U1 none of its frames; then U2 stops its own run, whose ' +
        'frames follow the golden path of a stopped run.',
      catches: 'foreign stop',
    }),
    async ({ users, sockets, settings }) => {
      const [u1, u2] = await Promise.all([users.create(), users.create()]);
      const s1 = await sockets.open(u1);
      const s2 = await sockets.open(u2);
      const run = await s2.startAgent('triage', uniqueRequest('Classify this request'), {
        context: { simulate_delay_ms: settings.runDelayMs },
      });
      await run.started();
      await expect(
        await s1.sendExpectingError({ type: 'stop_agent', run_id: run.runId }),
        "stop_agent for another user's run",
      ).toMatchContract({ type: 'error_message', error_code: 'RUN_NOT_FOUND' });
      const ended = () => s2.runFrames(run.runId).filter(isTerminal).map(describeFrame);
      expect(ended(), 'the foreign stop did not end the run').toEqual([]);
      await s2.waitFor((f: Frame) => f.run_id === run.runId, {
        from: s2.frames.length,
        what: `an event of ${run.runId} after the foreign stop was refused`,
      });
      expect(ended(), 'the run goes on: the event after the foreign stop is not its end').toEqual([]);
      const frames = await run.stop();
      expect(frames, "U2's own stop ends the run").toFollowGoldenPath('stopped');
      expect(s1.runFrames(run.runId), "U1 receives none of U2's run").toEqual([]);
    },
  );

  test(
    '4.6 test_multi_agent_coordination_metrics',
    catalog({
      checks:
        'A user_message run calls all five tools, each call completed; its record on /api/agents/runs/{run_id} comes ' +
        'to show a completed supervisor run whose events hold as many tool_executing and tool_completed as the socket received.',
      catches: 'log loses events',
    }),
    async ({ sockets, user, api, settings }) => {
      const socket = await sockets.open(user);
      const run = await socket.say(uniqueRequest('Compare cost and latency across our agents'));
      const frames = await run.finished();
      expect(frames, 'every tool call completes').toPairTools(TOOL_MAP.supervisor);
      const observed = frames.map((f) => f.type);
      const calls = countOf(observed, 'tool_executing');
      await expect
        .poll(
          async () => {
            const logged = await (await api.get(`/api/agents/runs/${run.runId}`)).json();
            const events: string[] = Array.isArray(logged.events) ? logged.events : [];
            return {
              agent_type: logged.agent_type,
              status: logged.status,
              tool_executing: countOf(events, 'tool_executing'),
              tool_completed: countOf(events, 'tool_completed'),
            };
          },
          { message: 'the run log counts every tool call observed', timeout: settings.settleMs },
        )
        .toMatchObject({ agent_type: 'supervisor', status: 'completed', tool_executing: calls, tool_completed: calls });
      await expect(await api.get(`/api/agents/runs/${run.runId}`)).toMatchContract('GET /api/agents/runs/{run_id}', 200, {
        run_id: run.runId,
      });
    },
  );
});

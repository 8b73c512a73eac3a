/**
 * A kafkajs partition assigner that co-partitions the topics of a group
 * (see {@link planCoPartitioned}): partition p of every subscribed topic goes
 * to the same member. Consumers list it before kafkajs' round-robin assigner,
 * so a group whose members all know it uses it, and a group still holding
 * members of an older zeroops (round-robin only) keeps working during a
 * rolling upgrade.
 */
import { AssignerProtocol, type PartitionAssigner } from './kafkajs.ts';
import { planCoPartitioned } from './partitions.ts';

/** Protocol name the group coordinator sees. */
export const CO_PARTITIONED_ASSIGNER = 'ZeroopsCoPartitioned';

/** The assigner factory to pass in kafkajs' `partitionAssigners`. */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITIONED_ASSIGNER,
  version: 0,
  async assign({ members, topics }) {
    const planMembers = members.map((m) => {
      const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
      return { id: m.memberId, topics: meta?.topics ?? topics };
    });
    const counts = new Map<string, number>();
    for (const topic of topics) counts.set(topic, cluster.findTopicPartitionMetadata(topic).length);
    const plan = planCoPartitioned(planMembers, counts);
    return [...plan.entries()].map(([memberId, tps]) => {
      const assignment: Record<string, number[]> = {};
      for (const tp of tps) {
        const list = assignment[tp.topic] ?? [];
        list.push(tp.partition);
        assignment[tp.topic] = list;
      }
      return { memberId, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }) };
    });
  },
  protocol({ topics }) {
    return { name: CO_PARTITIONED_ASSIGNER, metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});

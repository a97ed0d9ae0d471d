/** What a single-node KRaft test broker needs to know to write its `server.properties`. */
export interface KafkaServerPropertiesInput {
  host: string;
  /** Client (PLAINTEXT) listener port. */
  port: number;
  /** KRaft controller listener port. */
  controllerPort: number;
  /** Data directory (`log.dirs`): metadata log and topic partitions. */
  dataDir: string;
  /** Extra or replacing settings; a `null` value removes a default. */
  overrides?: Record<string, string | number | boolean | null>;
}

/**
 * Settings chosen for a throwaway test broker rather than a production one: one node that is
 * both broker and controller, every internal topic with replication factor 1, no topic
 * auto-creation (tests create their topics explicitly so a typo fails instead of silently
 * creating a topic), and no delays that would slow consumer-group tests down.
 */
export function kafkaTestBrokerSettings(input: KafkaServerPropertiesInput): Record<string, string> {
  const { host, port, controllerPort, dataDir } = input;
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    listeners: `PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.quorum.voters': `1@${host}:${controllerPort}`,
    'log.dirs': dataDir,
    'num.partitions': 4,
    'default.replication.factor': 1,
    'auto.create.topics.enable': false,
    'delete.topic.enable': true,
    // Internal topics: one replica, few partitions, so they are created in milliseconds.
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 4,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 4,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // kafkajs speaks the classic group protocol: the first join must not wait 3 s for more
    // members, and tests may use short session timeouts to see a crashed member leave quickly.
    // (The group.consumer.* settings only govern the KIP-848 protocol, which kafkajs never uses.)
    'group.initial.rebalance.delay.ms': 0,
    'group.min.session.timeout.ms': 1000,
    // Small files: many short-lived topics must not reserve a 10 MB index each.
    'log.segment.bytes': 16 * 1024 * 1024,
    'log.index.size.max.bytes': 1024 * 1024,
    'log.retention.hours': 1,
    'log.retention.check.interval.ms': 60_000,
    'num.network.threads': 2,
    'num.io.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    'background.threads': 2,
  };
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) merged[key] = String(value);
  for (const [key, value] of Object.entries(input.overrides ?? {})) {
    if (value === null) delete merged[key];
    else merged[key] = String(value);
  }
  return merged;
}

/** Renders settings in Java properties syntax (values here never need escaping beyond `\`). */
export function renderProperties(settings: Record<string, string>): string {
  return (
    Object.entries(settings)
      .map(([key, value]) => `${key}=${value.replaceAll('\\', '\\\\')}`)
      .join('\n') + '\n'
  );
}

/**
 * log4j2 configuration that sends everything the broker logs to standard output, which the
 * launcher redirects into the broker's log file together with anything the JVM itself prints.
 */
export function brokerLog4j2Properties(level = 'INFO'): string {
  return [
    'status = warn',
    'appender.out.type = Console',
    'appender.out.name = out',
    'appender.out.target = SYSTEM_OUT',
    'appender.out.layout.type = PatternLayout',
    'appender.out.layout.pattern = [%d] %p %m (%c)%n',
    `rootLogger.level = ${level}`,
    'rootLogger.appenderRef.out.ref = out',
    // The controller's and state-change loggers are chatty at INFO and never needed in tests.
    'logger.statechange.name = state.change.logger',
    'logger.statechange.level = WARN',
    'logger.raft.name = org.apache.kafka.raft',
    'logger.raft.level = WARN',
    '',
  ].join('\n');
}

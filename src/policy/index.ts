/**
 * The policy engine: NSG + AVNM security admin rule evaluation compiled once into classifiers,
 * with explanation chains and the rule each flow-log type records.
 */
export { compilePolicy, NIC_STRIDE, type Policy, type CompiledNic } from './compile.js';
export {
  evaluate,
  evaluateFast,
  evaluatePacket,
  newFastVerdict,
  chooseNsgOrder,
  createConnectionTable,
  protocolNumber,
  type Flow,
  type Verdict,
  type SideVerdict,
  type ChainStep,
  type StepResult,
  type FastVerdict,
  type EvaluateOptions,
  type ConnectionTable,
  type Decision,
} from './evaluate.js';
export { DEFAULT_RULES, userRuleFlowLogName, defaultRuleFlowLogName, type RuleRef, type RuleKind, type DefaultRuleSpec } from './rules.js';
export { compileOptionsSchema, nsgOrderSchema, type CompileOptions, type NsgOrder } from './config.js';
export { buildClassifier, classify, protocolSlot, type Classifier, type ClassifierRule } from './classifier.js';
export { verifyFlow, verifyResultJson, formatVerifyText, ruleJson, type VerifyRequest, type VerifyResult, type RuleJson } from './verify.js';
export { naiveEvaluate, type NaiveFlow, type NaiveVerdict } from './naive.js';
export { syntheticPolicyScenario, randomFlows, type SyntheticPolicyOptions, type RandomFlows } from './synthetic.js';
export { effectiveRules, rangeToCidrs, type EffectiveRules, type EffectivePoint, type EffectiveRule } from './effective.js';

/**
 * The git handoffs (CONTRACT 8): `git-branch` commits the workspace change to the packet's intended
 * branch; `github-pr` also pushes it and opens or updates a draft PR with `gh`.
 */
export { handoffGitBranch, HandoffFailed, type GitHandoffContext, type GitHandoffRecord } from './handoff-git-branch.ts';
export { handoffGithubPr } from './handoff-github.ts';

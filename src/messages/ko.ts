/**
 * Korean (한국어), in the words of the guide keycard grew from: API 키, 발급, 재발급, 노출, 사용량,
 * 한도. For developers: what to change in the code; for the person running the workflow: which
 * credential to fix and where to get a new key.
 * @module
 */
import { PROVIDERS } from '../providers/ids.js';
import { object, subject, topic } from './korean-particles.js';
import { koreanWords } from './providers.js';
import type { BudgetFacts, CredentialFacts, Message, MessageAudience, MessageCatalog } from './types.js';

function credential(facts: CredentialFacts, audience: MessageAudience): Message {
  const service = facts.provider === undefined ? '서비스' : PROVIDERS[facts.provider].label;
  const words = facts.provider === undefined ? undefined : koreanWords(facts.provider);
  const key = words?.key ?? '키';
  const where = facts.source ?? `${service} 자격 증명`;
  const developer = audience === 'developer';
  const newKey =
    words === undefined
      ? `${service}에서 새 ${object(key)} 발급받아`
      : `${words.newKeyAt} 에서 새 ${object(key)} 발급받아`;
  switch (facts.reason) {
    case 'missing':
      return {
        message: `${where}에 ${subject(`${service} ${key}`)} 없습니다.`,
        hint: developer
          ? `${where}에 ${object(key)} 넣거나 createClient()에 다른 키 소스를 넘기세요.`
          : `${newKey} ${where}에 저장하세요.`,
      };
    case 'malformed':
      return {
        message: `${where}의 값은 올바른 ${service} ${key} 형식이 아닙니다.`,
        hint: developer
          ? '공백, 줄바꿈, 따옴표, 예시 값(placeholder)이나 잘린 키가 들어 있지 않은지 확인하고 키 전체를 다시 넣으세요.'
          : `${key} 전체를 앞뒤 공백 없이 다시 복사해 ${where}에 저장하세요.`,
      };
    case 'wrong_provider':
      return {
        message: `${where}에 있는 키는 ${subject(`${service} ${key}`)} 아니라 다른 서비스의 키입니다.`,
        hint: developer
          ? `${object(`${service} ${key}`)} 넣거나, 키에 맞는 서비스로 createClient()를 만드세요.`
          : `${where}에 ${object(`${service} ${key}`)} 저장하거나, 맞는 서비스의 자격 증명을 고르세요.`,
      };
    case 'unauthorized':
      return {
        message: `${subject(service)} ${where}의 ${object(key)} 거부했습니다: 잘못되었거나, 삭제되었거나, 만료된 키입니다.`,
        hint: developer
          ? `${newKey} 키 소스(${where})를 바꾸세요. 실행 중인 클라이언트는 다음 호출에서 새 키를 다시 읽습니다.`
          : `${newKey} ${where}에 저장한 뒤 워크플로우를 다시 실행하세요.`,
      };
    case 'forbidden':
      return {
        message: `${where}의 ${topic(`${service} ${key}`)} 유효하지만 이 작업을 할 권한(또는 모델 접근 권한)이 없습니다.`,
        hint: developer
          ? `${service} 콘솔에서 키의 권한과 프로젝트의 모델 접근을 확인하세요.`
          : `${service} 계정 관리자에게 이 권한을 요청하거나, 권한이 있는 키를 쓰세요.`,
      };
    case 'quota_exceeded':
      return {
        message: `${where}의 ${subject(key)} 속한 ${service} 계정의 크레딧이 없거나 사용 한도를 넘었습니다.`,
        hint:
          words?.billingAt === undefined
            ? `${service} 계정의 결제 담당자에게 크레딧 충전이나 한도 상향을 요청하세요.`
            : `${words.billingAt} 에서 크레딧을 충전하거나 한도를 올린 뒤 다시 실행하세요.`,
      };
    case 'source_unavailable':
      return {
        message: `${where}에서 ${object(`${service} ${key}`)} 읽을 수 없습니다.`,
        hint: developer
          ? '키 소스(파일, 환경 변수, Vault, 키 저장소)에 접근할 수 있고 설정이 맞는지 확인한 뒤 다시 시도하세요.'
          : facts.retryable
            ? '잠시 후 다시 시도하세요. 계속되면 워크플로우를 설정한 사람에게 키 보관 위치를 확인해 달라고 하세요.'
            : '워크플로우를 설정한 사람에게 키 보관 위치를 확인해 달라고 하세요.',
      };
    case 'insecure_source':
      return {
        message: `${where}의 ${topic(`${service} ${key}`)} 다른 사람이 읽을 수 있는 방식으로 보관되거나 전송되어, 노출을 막기 위해 사용하지 않았습니다.`,
        hint: developer
          ? '키 파일 권한을 chmod 600으로 바꾸거나 https:// 주소를 쓰세요. 위험을 알고도 허용하려면 해당 옵션을 명시적으로 켜야 합니다.'
          : '워크플로우를 설정한 사람에게 키를 안전하게(비공개 파일, https:// 주소) 보관해 달라고 하세요.',
      };
  }
}

function budget(facts: BudgetFacts, audience: MessageAudience): Message {
  const what =
    facts.limit === 'usd'
      ? `비용 한도 $${facts.amount}`
      : facts.limit === 'requests'
        ? `요청 한도 ${facts.amount}회`
        : `토큰 한도 ${facts.amount}개`;
  const resets = `${facts.resetsAt.toISOString().slice(0, 16).replace('T', ' ')} (UTC)`;
  return {
    message: `예산 "${facts.budget}"의 ${what}에 도달해 이 호출을 보내지 않았습니다.`,
    hint:
      audience === 'developer'
        ? `${resets}부터 다시 쓸 수 있습니다. 더 필요하면 budget 옵션의 한도를 올리세요.`
        : `${resets}부터 다시 쓸 수 있습니다. 더 필요하면 예산 관리자에게 한도 상향을 요청하세요.`,
  };
}

export const korean: MessageCatalog = { credential, budget };

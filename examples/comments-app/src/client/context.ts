import { createContext, useContext } from 'react'
import type { Session } from './session'

export const SessionContext = createContext<Session | null>(null)

export function useSession(): Session {
  const session = useContext(SessionContext)
  if (session === null) throw new Error('useSession outside <SessionContext.Provider>')
  return session
}

/** When the viewer had last seen the open post: comments after it are marked new. */
export const SinceContext = createContext(0)
